// The shipment page's clearance timeline: records milestones without leaving the page and keeps
// the timeline and status up to date.
//
// Live updates: the thread's socket client (thread.js) owns the connection; it re-dispatches
// server events as `document.dispatchEvent(new CustomEvent("hub:socket-event",
// {detail: {event, data}}))`. This script listens for `event === "milestone"`, whose data is
// `{shipment_id, milestone, status}`.
(function () {
  "use strict";
  var panel = document.getElementById("milestones");
  if (!panel) return;
  var shipmentId = Number(panel.dataset.shipmentId);
  var zone = panel.dataset.viewerZone || "UTC";
  var list = document.getElementById("milestone-timeline");
  var empty = document.getElementById("milestone-empty");
  var labels = {};
  try { labels = JSON.parse(document.getElementById("milestone-labels").textContent); } catch (e) { labels = {}; }
  var exceptionCodes = { on_hold: true, under_inspection: true };

  function pad(n) { return String(n).padStart(2, "0"); }

  // The one formatter of the page (i18n.js): the viewer's configured zone, the locale's pattern.
  function localTime(iso) { return window.hubFormatTime(iso, zone); }

  function item(m) {
    var li = document.createElement("li");
    li.className = "milestone" + (exceptionCodes[m.code] ? " exception" : "");
    li.dataset.milestoneId = m.id;
    li.dataset.occurredAt = m.occurred_at;
    var time = document.createElement("time");
    time.setAttribute("datetime", m.occurred_at);
    time.textContent = localTime(m.occurred_at);
    var label = document.createElement("strong");
    label.className = "label";
    label.textContent = labels[m.code] || m.label;
    li.append(time, " ", label);
    if (m.location) {
      var location = document.createElement("span");
      location.className = "location";
      location.textContent = ", " + m.location;
      li.append(location);
    }
    if (m.note) {
      var note = document.createElement("p");
      note.className = "note";
      note.textContent = m.note;
      li.append(note);
    }
    var by = document.createElement("span");
    by.className = "by muted";
    by.textContent = window.hubT("recorded by {name}", { name: m.recorded_by ? m.recorded_by.name : window.hubT("a former user") });
    li.append(" ", by);
    return li;
  }

  // Insert in timeline order (occurred_at, then id); a milestone already shown is left alone.
  function upsert(m) {
    if (list.querySelector('[data-milestone-id="' + m.id + '"]')) return;
    var at = Date.parse(m.occurred_at);
    var before = null;
    list.querySelectorAll("li[data-milestone-id]").forEach(function (li) {
      if (before) return;
      var other = Date.parse(li.dataset.occurredAt);
      if (other > at || (other === at && Number(li.dataset.milestoneId) > m.id)) before = li;
    });
    list.insertBefore(item(m), before);
    if (empty) empty.hidden = true;
  }

  function setStatus(status) {
    var text = labels[status] || status;
    document.querySelectorAll("#shipment-status, [data-milestone-status]").forEach(function (el) {
      el.textContent = text;
      el.className = el.className.replace(/\bstatus-\S+/g, "").trim() + " status-" + status;
    });
  }

  function refreshStatus() {
    return fetch("/api/v1/shipments/" + shipmentId, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && s.status) setStatus(s.status); })
      .catch(function () {});
  }

  // Events sent while this page was asleep or offline are not replayed: catch up from the API
  // when it comes back to the foreground or the network returns.
  function resync() {
    fetch("/api/v1/shipments/" + shipmentId + "/milestones", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) body.milestones.forEach(upsert); })
      .catch(function () {});
    refreshStatus();
  }
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") resync(); });
  window.addEventListener("online", resync);

  document.addEventListener("hub:socket-event", function (e) {
    var detail = e.detail || {};
    if (detail.event !== "milestone" || !detail.data || Number(detail.data.shipment_id) !== shipmentId) return;
    upsert(detail.data.milestone);
    if (detail.data.status) setStatus(detail.data.status);
  });

  var form = document.getElementById("milestone-form");
  if (!form) return;
  var formError = document.getElementById("milestone-form-error");

  function clearErrors() {
    formError.hidden = true;
    formError.textContent = "";
    form.querySelectorAll("small.error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(error) {
    formError.textContent = (error && error.message) || window.hubT("The milestone was not recorded.");
    formError.hidden = false;
    var fields = (error && error.fields) || {};
    Object.keys(fields).forEach(function (name) {
      var slot = document.getElementById("milestone-" + name + "-error");
      var input = form.elements[name];
      if (slot) slot.textContent = fields[name];
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.closest(".field").classList.add("has-error");
      }
    });
    var firstInvalid = form.querySelector("[aria-invalid]");
    (firstInvalid || formError).focus && (firstInvalid || formError).focus();
  }

  /* After recording, the form offers the regular milestone that usually comes next. */
  function suggestNext(code) {
    var select = form.elements.code;
    var options = Array.prototype.slice.call(select.options);
    var done = options.findIndex(function (o) { return o.value === code; });
    if (done < 0 || options[done].hasAttribute("data-exception") || done < select.selectedIndex) return;
    var next = options.slice(done + 1).find(function (o) { return !o.hasAttribute("data-exception"); });
    if (next) select.value = next.value;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var token = document.querySelector('meta[name="csrf-token"]');
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.content : "" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) { showErrors(body.error); return; }
        upsert(body);
        suggestNext(body.code);
        form.elements.location.value = "";
        form.elements.note.value = "";
        return refreshStatus();
      });
    }).catch(function () {
      showErrors({ message: window.hubT("Could not reach the hub; check your connection and try again.") });
    }).then(function () { button.disabled = false; });
  });
})();
