// Profile and invitation pages: an empty time zone is filled from the browser's
// (Intl.DateTimeFormat().resolvedOptions().timeZone), and the browser's zone is named when it
// differs from the chosen one. The language the server pre-selected from Accept-Language stays
// unless the page is an invitation and navigator.language names another supported one.
(function () {
  "use strict";
  var zoneInput = document.querySelector("[data-browser-zone]");
  var hint = document.querySelector("[data-browser-zone-hint]");
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
  if (zoneInput && browserZone) {
    if (!zoneInput.value) zoneInput.value = browserZone;
    else if (zoneInput.value !== browserZone && hint) {
      hint.textContent = hint.textContent + " " + window.hubT("Your browser's time zone is {zone}.", { zone: browserZone });
    }
  }
  var localeSelect = document.querySelector("[data-browser-locale]");
  if (localeSelect && document.querySelector("[data-invitation]")) {
    var lang = (navigator.language || "").toLowerCase();
    var wanted = lang.indexOf("zh") === 0 ? "zh_Hans" : lang.slice(0, 2);
    Array.prototype.forEach.call(localeSelect.options, function (o) { if (o.value === wanted) localeSelect.value = wanted; });
  }
})();
