// The shipment page's risk panel: on each `risk` event (the thread's socket client re-dispatches
// server events as `hub:socket-event`) the panel is fetched again as the server renders it, in
// the viewer's language and time zone; staff resolve a flag with a note.
(function () {
  "use strict";
  var shipmentId = (document.getElementById("risks") || {}).getAttribute
    ? document.getElementById("risks").getAttribute("data-shipment-id") : null;
  if (!shipmentId) return;
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function panel() { return document.getElementById("risks"); }

  // The resolve form lists the open flags the panel shows.
  function wire() {
    var form = document.getElementById("risk-resolve");
    var select = document.getElementById("risk-resolve-id");
    if (!form || !select) return;
    var flags = panel().querySelectorAll("#risk-list li.risk");
    select.textContent = "";
    Array.prototype.forEach.call(flags, function (li) {
      var option = document.createElement("option");
      option.value = li.getAttribute("data-risk-id");
      option.textContent = li.querySelector("strong").textContent;
      select.appendChild(option);
    });
    form.hidden = flags.length === 0;
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = document.getElementById("risk-resolve-error");
      error.textContent = "";
      fetch("/api/v1/risks/" + select.value, {
        method: "PATCH", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
        body: JSON.stringify({ resolved: true, resolution_note: document.getElementById("risk-resolve-note").value })
      }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (answer) {
          if (!answer.ok) {
            error.textContent = (answer.body.error || {}).message || window.hubT("Could not resolve the flag; try again.");
            return;
          }
          refresh();
        });
    });
  }

  function refresh() {
    fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("risks");
        if (!fresh) return;
        panel().replaceWith(document.importNode(fresh, true));
        wire();
      });
  }

  document.addEventListener("hub:socket-event", function (e) {
    var detail = e.detail || {};
    if (detail.event === "risk" && detail.data && String(detail.data.shipment_id) === String(shipmentId)) refresh();
  });
  wire();
})();
