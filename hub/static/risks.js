// The shipment page's risk panel: re-reads the open flags whenever a `risk` event arrives (the
// thread's socket client re-dispatches server events as `hub:socket-event`), and lets staff
// resolve a flag with a note.
(function () {
  "use strict";
  var panel = document.getElementById("risks");
  if (!panel) return;
  var shipmentId = panel.getAttribute("data-shipment-id");
  var list = document.getElementById("risk-list");
  var none = document.getElementById("risks-none");
  var count = document.getElementById("risks-count");
  var form = document.getElementById("risk-resolve");
  var select = document.getElementById("risk-resolve-id");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function render(flags) {
    var open = flags.filter(function (f) { return f.open; });
    list.textContent = "";
    open.forEach(function (flag) {
      var li = document.createElement("li");
      li.className = "risk severity-" + flag.severity;
      li.setAttribute("data-risk-id", flag.id);
      var icon = document.createElement("span");
      icon.className = "risk-icon"; icon.setAttribute("aria-hidden", "true"); icon.textContent = "\u26a0";
      var name = document.createElement("strong"); name.textContent = flag.label;
      var severity = document.createElement("span"); severity.className = "risk-severity"; severity.textContent = " " + flag.severity + " ";
      var detail = document.createElement("span"); detail.className = "risk-detail"; detail.textContent = flag.detail || "";
      var meta = document.createElement("small"); meta.className = "muted";
      meta.textContent = " " + (flag.owner ? flag.owner.name : "\u2014") + " \u00b7 " + flag.opened_at;
      li.append(icon, " ", name, severity, detail, meta);
      list.appendChild(li);
    });
    count.textContent = String(open.length);
    none.hidden = open.length > 0;
    if (form && select) {
      select.textContent = "";
      open.forEach(function (flag) {
        var option = document.createElement("option");
        option.value = flag.id; option.textContent = flag.label + " (" + flag.severity + ")";
        select.appendChild(option);
      });
      form.hidden = open.length === 0;
    }
  }

  function reload() {
    fetch("/api/v1/shipments/" + shipmentId + "/risks", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) render(data.items); });
  }

  document.addEventListener("hub:socket-event", function (e) {
    var detail = e.detail || {};
    if (detail.event === "risk" && detail.data && String(detail.data.shipment_id) === String(shipmentId)) reload();
  });

  if (form) {
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
          if (!answer.ok) { error.textContent = (answer.body.error || {}).message || "Could not resolve."; return; }
          document.getElementById("risk-resolve-note").value = "";
          reload();
        });
    });
  }
  reload();
})();
