// Shows each participant's current local time next to their name ([data-time-zone]) with the
// city of their zone ("03:10 in Shanghai", never an abbreviation such as CST, which is both
// Chicago and China) and whether it is their working hours; refreshed every minute.
(function () {
  var DAYS = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
  function parts(zone) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      weekday: "short", hourCycle: "h23", timeZone: zone,
    }).formatToParts(new Date()).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function render() {
    document.querySelectorAll("[data-time-zone]").forEach(function (el) {
      try {
        var p = parts(el.dataset.timeZone);
        var hhmm = p.hour + ":" + p.minute;
        var text = window.hubT("{time} in {city}", { time: hhmm, city: el.dataset.city || el.dataset.timeZone });
        if (el.dataset.workStart) {
          var today = p.year + "-" + p.month + "-" + p.day;
          var workDay = (el.dataset.workDays || "").split(",").indexOf(String(DAYS[p.weekday])) >= 0;
          var holiday = (el.dataset.offDates || "").split(",").indexOf(today) >= 0;
          var working = workDay && !holiday && hhmm >= el.dataset.workStart && hhmm < el.dataset.workEnd;
          text = window.hubT(working ? "{text}, working hours" : "{text}, outside working hours", { text: text });
        }
        el.textContent = text;
      } catch (e) { /* keep the server's text */ }
    });
  }
  render();
  setInterval(render, 60000);
})();
