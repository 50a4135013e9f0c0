// Shows each participant's current local time next to their name ([data-time-zone]),
// refreshed every minute, so a coordinator sees whether it is office hours over there.
(function () {
  function render() {
    document.querySelectorAll("[data-time-zone]").forEach(function (el) {
      try {
        el.textContent = new Intl.DateTimeFormat(undefined, {
          hour: "2-digit", minute: "2-digit", timeZone: el.dataset.timeZone, timeZoneName: "short",
        }).format(new Date());
      } catch (e) { el.textContent = ""; }
    });
  }
  render();
  setInterval(render, 60000);
})();
