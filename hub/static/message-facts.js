// "A message becomes a fact": under each written message of the thread, staff get two small
// actions (a risk flag, a milestone) and everyone sees what the message was turned into and by
// whom. The thread (thread.js) renders the messages; this file only decorates them, again
// whenever one is (re)rendered, and hears `message_facts` events for live updates.
(function () {
  "use strict";
  var dataNode = document.getElementById("message-facts-data");
  var list = document.getElementById("thread-messages");
  if (!dataNode || !list) return;
  var data = JSON.parse(dataNode.textContent);
  var canManage = dataNode.getAttribute("data-can-manage") === "1";
  var facts = data.facts || {};
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
  }

  function factText(fact) {
    var who = fact.created_by ? fact.created_by.name : window.hubT("someone");
    return window.hubT(fact.kind === "risk" ? "Turned into a risk flag by {name}" : "Recorded as a milestone by {name}", { name: who });
  }

  function milestoneForm(li, id, box) {
    var form = document.createElement("form"); form.className = "fact-milestone";
    var select = document.createElement("select"); select.name = "code"; select.setAttribute("aria-label", window.hubT("Milestone"));
    data.milestones.forEach(function (m) {
      var o = document.createElement("option"); o.value = m.code; o.textContent = m.label; select.appendChild(o);
    });
    var when = document.createElement("input"); when.type = "datetime-local"; when.required = true;
    when.setAttribute("aria-label", window.hubT("When it happened (your time)"));
    var ok = document.createElement("button"); ok.type = "submit"; ok.textContent = window.hubT("Record");
    var error = document.createElement("span"); error.className = "form-error"; error.setAttribute("role", "alert");
    form.append(select, " ", when, " ", ok, " ", error);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!when.value) return;
      post("/api/v1/messages/" + id + "/milestone", { code: select.value, occurred_at: new Date(when.value).toISOString() })
        .then(function (a) {
          if (!a.ok) { error.textContent = (a.body.error || {}).message || window.hubT("Refused."); return; }
          form.remove();
        });
    });
    box.after(form);
  }

  function decorate(li) {
    var id = li.dataset.id;
    if (!id || li.querySelector(".message-facts")) return;
    var box = document.createElement("div"); box.className = "message-facts";
    (facts[id] || []).forEach(function (fact) {
      var p = document.createElement("small"); p.className = "fact muted"; p.textContent = factText(fact);
      box.appendChild(p);
    });
    var kinds = (facts[id] || []).map(function (f) { return f.kind; });
    if (canManage && li.classList.contains("kind-text") && !li.classList.contains("deleted")) {
      if (kinds.indexOf("risk") === -1) {
        var risk = document.createElement("button"); risk.type = "button"; risk.className = "link";
        risk.textContent = window.hubT("Make it a risk flag");
        risk.addEventListener("click", function () {
          risk.disabled = true;
          post("/api/v1/messages/" + id + "/risk", {}).then(function (a) { if (!a.ok) risk.disabled = false; });
        });
        box.appendChild(risk);
      }
      if (kinds.indexOf("milestone") === -1) {
        var milestone = document.createElement("button"); milestone.type = "button"; milestone.className = "link";
        milestone.textContent = window.hubT("Record as a milestone");
        milestone.addEventListener("click", function () {
          if (!li.querySelector(".fact-milestone")) milestoneForm(li, id, box);
        });
        box.appendChild(milestone);
      }
    }
    if (box.childNodes.length) li.appendChild(box);
  }

  function decorateAll() { list.querySelectorAll("li.thread-message").forEach(decorate); }

  new MutationObserver(decorateAll).observe(list, { childList: true });
  document.addEventListener("hub:socket-event", function (e) {
    var d = e.detail || {};
    if (d.event !== "message_facts" || !d.data || String(d.data.shipment_id) !== String(data.shipment_id)) return;
    facts[String(d.data.message_id)] = d.data.facts;
    var li = list.querySelector('li.thread-message[data-id="' + d.data.message_id + '"]');
    if (li) { var old = li.querySelector(".message-facts"); if (old) old.remove(); decorate(li); }
  });
  decorateAll();
})();
