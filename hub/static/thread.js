// The shipment page's live thread (templates/threads/_panel.html) over Socket.IO.
//
// - Boots from #thread-data (the latest messages, the people, the caller's read state).
// - Connects with the session cookie; long-polling first, upgraded to a websocket when the
//   network allows (the Socket.IO default), so a blocked websocket still leaves a working thread.
// - On every (re)connect it joins with `after_seq` = the highest seq it holds and merges the
//   catch-up by seq (pages the rest through the REST list when the answer says `more`), then
//   resends every pending message with its original client_id (the server answers the original
//   if the first attempt had arrived): nothing lost, nothing doubled.
// - Optimistic send: a message shows at once as "Sending…" and becomes the real one on the ack.
// - Typing indicator, presence dots, unread divider, read receipts ("Seen by Ana, Kenji"),
//   @mention autocomplete (searches names and handles, inserts @localpart).
// - Edit and delete of one's own text messages inside MESSAGE_EDIT_WINDOW_S (boot.edit_window_s)
//   through PATCH/DELETE /api/v1/messages/<id>; every viewer re-renders the message in place from
//   the room's `message` event, which is merged by seq keeping the newest version.
// - Re-dispatches every server event as `hub:socket-event` ({detail: {event, data}}) on document,
//   for the other panels (milestones, documents) that share this connection.
(function () {
  "use strict";
  var root = document.getElementById("thread");
  var dataNode = document.getElementById("thread-data");
  if (!root || !dataNode || root.dataset.started) return;
  root.dataset.started = "1";
  var boot = JSON.parse(dataNode.textContent);
  var shipmentId = boot.shipment_id;
  var me = boot.me;
  var list = document.getElementById("thread-messages");
  var empty = document.getElementById("thread-empty");
  var statusEl = document.getElementById("thread-status");
  var onlineEl = document.getElementById("thread-online");
  var typingEl = document.getElementById("thread-typing");
  var earlierBtn = document.getElementById("thread-earlier");
  var form = document.getElementById("thread-form");
  var input = document.getElementById("thread-body");
  var errorEl = document.getElementById("thread-error");
  var mentionList = document.getElementById("thread-mentions");

  var messages = new Map();       // seq -> message object
  var elements = new Map();       // seq -> <li>
  var pending = new Map();        // client_id -> {body, el, failed}
  var people = new Map();         // user id -> {id, name, handle, organization, last_read_seq}
  boot.people.forEach(function (p) { people.set(p.id, p); });
  var lastReadSent = boot.last_read_seq;
  var joined = false;
  var oldestSeq = null;
  var typingUsers = new Map();    // user id -> {name, until}
  var lastTypingSent = 0;
  var editWindowMs = (boot.edit_window_s || 0) * 1000;
  var editors = new Map();        // seq -> {form, area, save, cancel}: an open editor, kept across re-renders
  var notes = new Map();          // seq -> error text shown under that message, kept across re-renders
  var busy = new Set();           // seqs with an edit or delete request in flight
  var clockOffset = null;         // this clock minus the server's (ms), learnt from send acks; null: assume 0
  var liveUntil = Date.now();     // every change up to about this time has reached us (see catchUpFrom)

  // --- rendering -------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);  // available outside secure contexts too (plain http on a LAN)
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // The viewer's configured zone and the locale's one pattern, as the rest of the page (i18n.js).
  function localTime(iso) { return window.hubFormatTime(iso); }
  var t = window.hubT;

  function nearBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 80; }
  // The list scrolls inside its box on wide screens; on a phone it is part of the page, and the
  // page is never scrolled for it (the header stays in sight; the jump link goes down).
  function scrollToEnd() { list.scrollTop = list.scrollHeight; }
  function boxed() { return list.scrollHeight > list.clientHeight + 1 && getComputedStyle(list).overflowY !== "visible"; }

  function highlightMentions(body) {
    // body_html is sanitized server-side; only text nodes are touched here.
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      if (!/@[\w.%+-]/.test(node.nodeValue) || (node.parentNode && node.parentNode.closest("code, a"))) return;
      var frag = document.createDocumentFragment();
      node.nodeValue.split(/(@[A-Za-z0-9._%+-]+)/).forEach(function (part) {
        if (/^@[A-Za-z0-9._%+-]+$/.test(part)) {
          var span = document.createElement("span"); span.className = "mention"; span.textContent = part;
          frag.appendChild(span);
        } else if (part) { frag.appendChild(document.createTextNode(part)); }
      });
      node.parentNode.replaceChild(frag, node);
    });
  }

  function buildItem(m, state) {
    var li = document.createElement("li");
    li.className = "thread-message kind-" + m.kind;
    if (m.author && m.author.id === me.id) li.classList.add("mine");
    if (m.deleted_at) li.classList.add("deleted");
    if (m.seq) li.dataset.seq = m.seq;
    if (m.id) li.dataset.id = m.id;
    if (m.client_id) li.dataset.clientId = m.client_id;
    var meta = document.createElement("div"); meta.className = "meta";
    var author = document.createElement("span"); author.className = "author";
    author.textContent = m.author ? m.author.name : (m.kind === "text" ? t("Former user") : "Clearance Hub");
    meta.appendChild(author);
    if (m.author && m.author.organization) {
      var org = document.createElement("span"); org.className = "org"; org.textContent = m.author.organization;
      meta.appendChild(org);
    }
    if (m.created_at) {
      var tm = document.createElement("time"); tm.dateTime = m.created_at; tm.textContent = localTime(m.created_at);
      meta.appendChild(tm);
    }
    if (m.via === "email") {
      var via = document.createElement("span"); via.className = "via"; via.textContent = t("via email"); meta.appendChild(via);
    }
    if (m.edited_at && !m.deleted_at) {
      var ed = document.createElement("span"); ed.className = "edited"; ed.textContent = t("(edited)"); meta.appendChild(ed);
    }
    if (state) {
      var st = document.createElement("span"); st.className = "state"; st.textContent = state; meta.appendChild(st);
    }
    if (!state && changeable(m)) meta.appendChild(buildActions(m));
    li.appendChild(meta);
    var body = document.createElement("div"); body.className = "body";
    if (m.deleted_at) { body.textContent = t("Message deleted"); }
    else if (m.facts && window.hubFactsText(m.facts)) { body.appendChild(factsParagraph(m.facts)); }
    else if (m.body_html !== undefined) { body.innerHTML = m.body_html; highlightMentions(body); }
    else { var p = document.createElement("p"); p.textContent = m.body; body.appendChild(p); }
    li.appendChild(body);
    if (!state && m.seq && notes.has(m.seq)) {
      var note = document.createElement("p"); note.className = "note"; note.setAttribute("role", "alert");
      note.textContent = notes.get(m.seq);
      li.appendChild(note);
    }
    return li;
  }

  // A milestone or document message in the reader's language and configured zone; a document's
  // file name links to that document (a withdrawn one has nothing left to open).
  function factsParagraph(facts) {
    var p = document.createElement("p");
    var text = window.hubFactsText(facts);
    var file = facts.kind === "document" ? facts.file_name : "";
    var at = file ? text.lastIndexOf(file) : -1;
    if (at < 0 || !facts.document_id || facts.action === "withdrawn") { p.textContent = text; return p; }
    var link = document.createElement("a");
    link.href = "/api/v1/documents/" + encodeURIComponent(facts.document_id) + "/download" +
      (facts.version ? "?version=" + encodeURIComponent(facts.version) : "");
    link.textContent = file;
    link.className = "thread-document";
    p.append(text.slice(0, at), link, text.slice(at + file.length));
    return p;
  }

  function serverNow() { return Date.now() - (clockOffset || 0); }

  function changeable(m) {
    // Mirrors the server's rule (author, text, not deleted, inside the window, may still post) only
    // to hide buttons that would surely be refused; the server has the last word either way.
    return !!(boot.can_post && editWindowMs && m.id && m.seq && m.kind === "text" && m.author &&
      m.author.id === me.id && !m.deleted_at && serverNow() - Date.parse(m.created_at) < editWindowMs);
  }

  function buildActions(m) {
    var box = document.createElement("span"); box.className = "actions";
    var when = localTime(m.created_at);
    [["edit", t("Edit"), t("Edit your message of {time}")], ["delete", t("Delete"), t("Delete your message of {time}")]].forEach(function (a) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.dataset.action = a[0]; b.textContent = a[1];
      b.setAttribute("aria-label", a[2].split("{time}").join(when));
      b.disabled = busy.has(m.seq);
      box.appendChild(b);
    });
    return box;
  }

  function version(m) {
    // Deleting is final and each edit moves edited_at forward, so (deleted, edited_at) orders the
    // versions of one message. The timestamps carry 0 to 6 fraction digits: padded to compare as text.
    var t = m.edited_at || "";
    if (t) {
      t = t.replace("Z", "");
      if (t.indexOf(".") === -1) t += ".";
      t = (t + "000000").slice(0, 26);
    }
    return (m.deleted_at ? "1" : "0") + t;
  }

  function same(a, b) {
    // Deep equality, not JSON text: the API's JSON (page boot, REST) has sorted keys, the socket's not.
    if (a === b) return true;
    if (!a || !b || typeof a !== "object" || typeof b !== "object") return false;
    var keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(function (k) { return same(a[k], b[k]); });
  }

  function render(m) {
    // Builds the message's <li> and puts it in place; an open editor moves into the new <li>, and the
    // keyboard focus stays where it was (on the editor, or on the same button).
    var old = elements.get(m.seq);
    var active = document.activeElement;
    var had = old && active && old.contains(active) ? active : null;
    var selection = had && had.tagName === "TEXTAREA" ? [had.selectionStart, had.selectionEnd] : null;
    var li = buildItem(m);
    var editor = editors.get(m.seq);
    if (editor) {
      var actions = li.querySelector(".actions");
      if (actions) actions.remove();
      li.replaceChild(editor.form, li.querySelector(".body"));
    }
    if (old) list.replaceChild(li, old); else insertInOrder(li, m.seq);
    elements.set(m.seq, li);
    if (had && li.contains(had)) {
      had.focus();
      if (selection) had.setSelectionRange(selection[0], selection[1]);
    } else if (had) {
      var twin = had.dataset && had.dataset.action && li.querySelector('[data-action="' + had.dataset.action + '"]');
      (twin && !twin.disabled ? twin : list).focus({ preventScroll: true });
    }
    return li;
  }

  function refresh(seq) {
    // Re-renders a held message after a local change (editor, note, busy state).
    var m = messages.get(seq);
    if (!m) return null;
    var li = render(m);
    renderReceipts();
    return li;
  }

  function insertInOrder(li, seq) {
    // Messages are normally appended; a catch-up or an earlier page may land before others.
    var after = null;
    elements.forEach(function (el, s) { if (s > seq && (after === null || s < Number(after.dataset.seq))) after = el; });
    if (after) {
      var prev = after.previousElementSibling;
      list.insertBefore(li, prev && prev.classList.contains("thread-divider") ? prev : after);
    } else {
      var firstPending = list.querySelector(".thread-message.pending, .thread-message.failed");
      list.insertBefore(li, firstPending);
    }
  }

  function upsert(m) {
    if (m.shipment_id !== shipmentId) return;
    var held = messages.get(m.seq);
    // An edited or deleted message arrives twice at its author (the request's answer and the room's
    // `message` event, in either order) and again in catch-ups: an older version never replaces a
    // newer one, and an identical one changes nothing (a re-render would take the focus away).
    if (held && (version(m) < version(held) || same(m, held))) return;
    var stick = nearBottom();
    if (held) {
      if (m.deleted_at) { editors.delete(m.seq); notes.delete(m.seq); }  // nothing left to edit
    } else {
      var waiting = m.client_id && pending.get(m.client_id);
      if (waiting) { pending.delete(m.client_id); waiting.el.remove(); }
    }
    messages.set(m.seq, m);
    render(m);
    if (oldestSeq === null || m.seq < oldestSeq) oldestSeq = m.seq;
    empty.hidden = true;
    if (!held && m.author) typingUsers.delete(m.author.id);  // an edit does not say they stopped typing
    renderTyping();
    renderReceipts();
    // Only a new message of one's own pulls the view down; an edit of an earlier one stays put.
    if (stick || (!held && m.author && m.author.id === me.id)) scrollToEnd();
    markReadSoon();
  }

  function highestSeq() {
    var top = 0;
    messages.forEach(function (_m, s) { if (s > top) top = s; });
    return top;
  }

  function renderReceipts() {
    list.querySelectorAll(".seen").forEach(function (el) { el.remove(); });
    var top = highestSeq();
    if (!top) return;
    var last = messages.get(top);
    var names = [];
    people.forEach(function (p) {
      if (p.id === me.id || (last.author && p.id === last.author.id)) return;
      if (p.last_read_seq >= top) names.push(p.name);
    });
    if (!names.length) return;
    var stick = nearBottom();
    var seen = document.createElement("p"); seen.className = "seen";
    seen.textContent = t("Seen by {names}", { names: names.join(", ") });
    elements.get(top).appendChild(seen);
    if (stick) scrollToEnd();  // the line just added is not left below the box's edge
  }

  function renderUnreadDivider() {
    var firstUnread = null;
    messages.forEach(function (m, s) {
      if (s > boot.last_read_seq && !(m.author && m.author.id === me.id) && (firstUnread === null || s < firstUnread)) firstUnread = s;
    });
    if (firstUnread === null) return;
    var divider = document.createElement("li");
    divider.className = "thread-divider"; divider.id = "thread-unread-divider";
    divider.textContent = t("New messages");
    list.insertBefore(divider, elements.get(firstUnread));
    // Inside the thread's box only: the page itself stays on the shipment's header.
    list.scrollTop = Math.max(0, divider.offsetTop - 40);
  }

  function showJumpLink() {
    var jump = document.getElementById("thread-jump");
    if (!jump) return;
    if (document.getElementById("thread-unread-divider")) { jump.hidden = false; return; }
    if (messages.size > 3 && !boxed()) {
      jump.textContent = jump.getAttribute("data-latest-text");
      jump.setAttribute("href", jump.getAttribute("data-latest-href"));
      jump.hidden = false;
    }
  }

  function renderTyping() {
    var now = Date.now();
    var names = [];
    typingUsers.forEach(function (t, id) { if (t.until > now) names.push(t.name); else typingUsers.delete(id); });
    typingEl.textContent = names.length === 0 ? "" : (names.length === 1 ? t("{name} is typing…", { name: names[0] }) : t("{names} are typing…", { names: names.join(", ") }));
  }
  setInterval(renderTyping, 1000);

  function setStatus(state, text) { statusEl.dataset.state = state; statusEl.textContent = text; }

  function showError(text) {
    if (!errorEl) return;
    errorEl.textContent = text || ""; errorEl.hidden = !text;
  }

  // --- socket ----------------------------------------------------------------------------

  var socket = io({ reconnectionDelayMax: 10000, timeout: 20000 });

  socket.onAny(function (event, data) {
    if (event === "message_facts" && loadFactsScript(event, data)) return;
    document.dispatchEvent(new CustomEvent("hub:socket-event", { detail: { event: event, data: data } }));
  });

  // A partner's page without facts does not load the script that shows them (message-facts.js):
  // the first fact made while the page is open loads it, and it gets that event once ready.
  function loadFactsScript(event, data) {
    var later = document.getElementById("message-facts-later");
    if (!later) return false;
    later.remove();
    var context = document.createElement("script");
    context.type = "application/json"; context.id = "message-facts-data";
    context.setAttribute("data-can-manage", "0");
    context.textContent = later.getAttribute("data-context");
    document.body.appendChild(context);
    var script = document.createElement("script");
    script.src = later.getAttribute("data-src");
    script.addEventListener("load", function () {
      document.dispatchEvent(new CustomEvent("hub:socket-event", { detail: { event: event, data: data } }));
    });
    document.body.appendChild(script);
    return true;
  }

  socket.on("connect", function () {
    setStatus("connecting", t("Catching up…"));
    joinThread();
  });

  socket.on("disconnect", function () {
    if (joined) liveUntil = Date.now();
    joined = false;
    setStatus("offline", t("Offline — messages will be sent when the connection returns"));
  });

  socket.on("connect_error", function (err) {
    if (err && err.data && err.data.code === "unauthorized") {
      setStatus("offline", t("Signed out — reload the page to sign in"));
      socket.disconnect();
    } else {
      setStatus("offline", t("Reconnecting…"));
    }
  });

  function joinThread() {
    socket.timeout(20000).emit("join", { shipment_id: shipmentId, after_seq: catchUpFrom() }, function (err, answer) {
      if (err) { socket.disconnect().connect(); return; }  // no answer: start over
      if (!answer.ok) { setStatus("offline", answer.error.message); return; }
      answer.messages.forEach(upsert);
      (answer.more ? pageForward() : Promise.resolve()).then(function () {
        joined = true;
        setStatus("live", t("Live"));
        resendPending();
        markReadSoon();
      });
    });
  }

  function catchUpFrom() {
    // The join answers what comes after `after_seq`, but a message we hold may have been edited or
    // deleted while we were away (or between the page's render and this join). That is possible only
    // inside a message's edit window, so the catch-up starts before the oldest message sent less than
    // a window (and a minute for clocks) before we lost the live feed; upsert merges the repeats.
    var from = highestSeq();
    if (!editWindowMs) return from;
    var since = liveUntil - (clockOffset || 0) - editWindowMs - 60000;
    messages.forEach(function (m, s) {
      if (m.kind === "text" && !m.deleted_at && s - 1 < from && Date.parse(m.created_at) > since) from = s - 1;
    });
    return from;
  }

  function pageForward() {
    // More than the join answers was missed: page the rest with the REST list.
    return fetch(boot.messages_url + "?after_seq=" + highestSeq() + "&limit=500", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
      .then(function (page) { page.messages.forEach(upsert); return page.more ? pageForward() : null; });
  }

  socket.on("message", upsert);

  socket.on("typing", function (data) {
    if (data.shipment_id !== shipmentId || data.user.id === me.id) return;
    typingUsers.set(data.user.id, { name: data.user.name, until: Date.now() + 4000 });
    renderTyping();
  });

  socket.on("read", function (data) {
    if (data.shipment_id !== shipmentId) return;
    var p = people.get(data.user_id);
    if (p && data.seq > p.last_read_seq) { p.last_read_seq = data.seq; renderReceipts(); }
  });

  socket.on("presence", function (data) {
    if (data.shipment_id !== shipmentId) return;
    var online = new Set(data.online);
    document.querySelectorAll(".participants li[data-user-id]").forEach(function (li) {
      li.classList.toggle("online", online.has(Number(li.dataset.userId)));
    });
    var others = data.online.filter(function (id) { return id !== me.id; }).length;
    onlineEl.textContent = others ? (others === 1 ? t("1 other online") : t("{count} others online", { count: others })) : "";
  });

  // --- read state --------------------------------------------------------------------------

  var readTimer = null;
  function markReadSoon() {
    if (readTimer) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      var top = highestSeq();
      if (!joined || top <= lastReadSent || document.visibilityState !== "visible" || !nearBottom()) return;
      lastReadSent = top;
      socket.emit("read", { shipment_id: shipmentId, seq: top }, function (answer) {
        if (!answer || !answer.ok) lastReadSent = 0;
      });
    }, 600);
  }
  document.addEventListener("visibilitychange", markReadSoon);
  list.addEventListener("scroll", function () { if (nearBottom()) markReadSoon(); });

  // --- sending -------------------------------------------------------------------------------

  function noteServerTime(iso) {
    // A first send's ack carries the server's time of that send: this clock now minus it is the
    // clocks' offset plus the way back, so the smallest one seen is the best guess. It keeps the
    // Edit/Delete buttons on the server's window when this computer's clock is off.
    var offset = Date.now() - Date.parse(iso);
    if (!isNaN(offset) && (clockOffset === null || offset < clockOffset)) clockOffset = offset;
  }

  function sendPending(clientId) {
    var item = pending.get(clientId);
    if (!item || !socket.connected || !joined) return;  // sent on the next (re)connect
    item.tries = (item.tries || 0) + 1;
    var first = item.tries === 1;
    socket.timeout(15000).emit("send", { shipment_id: shipmentId, body: item.body, client_id: clientId }, function (err, answer) {
      if (err) return;  // no answer (connection lost): resent with the same client_id after reconnecting
      // (A resend may be answered with the original of an earlier attempt: its time says nothing.)
      if (answer.ok) { if (first) noteServerTime(answer.message.created_at); upsert(answer.message); return; }
      item.failed = true;
      var failedEl = buildItem({ kind: "text", author: me, body: item.body, client_id: clientId }, t("Not sent: {reason}", { reason: answer.error.message }));
      failedEl.classList.add("failed");
      item.el.replaceWith(failedEl); item.el = failedEl;
      showError(answer.error.message);
      var retry = document.createElement("button"); retry.type = "button"; retry.className = "link"; retry.textContent = t("Remove");
      retry.addEventListener("click", function () { pending.delete(clientId); failedEl.remove(); });
      failedEl.querySelector(".meta").appendChild(retry);
    });
  }

  function resendPending() {
    pending.forEach(function (item, clientId) { if (!item.failed) sendPending(clientId); });
  }

  function submit() {
    var body = input.value;
    if (!body.trim()) { showError(t("Write something first.")); return; }
    if (body.length > boot.max_chars) { showError(t("At most {count} characters.", { count: boot.max_chars })); return; }
    showError("");
    var clientId = uuid4();
    var el = buildItem({ kind: "text", author: { id: me.id, name: me.name }, body: body, client_id: clientId },
      socket.connected ? t("Sending…") : t("Waiting for connection…"));
    el.classList.add("pending");
    list.appendChild(el);
    empty.hidden = true;
    pending.set(clientId, { body: body, el: el, failed: false });
    input.value = "";
    hideMentions();
    scrollToEnd();
    sendPending(clientId);
  }

  if (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    input.addEventListener("keydown", function (e) {
      if (mentionKeys(e)) return;
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    input.addEventListener("input", function () {
      updateMentions();
      var now = Date.now();
      if (input.value.trim() && joined && now - lastTypingSent > 2500) {
        lastTypingSent = now;
        socket.emit("typing", { shipment_id: shipmentId });
      }
    });
    input.addEventListener("blur", function () { setTimeout(hideMentions, 150); });
  }

  // --- mentions autocomplete ---------------------------------------------------------------

  var mentionChoices = [];
  var mentionIndex = 0;

  function mentionQuery() {
    var upto = input.value.slice(0, input.selectionStart);
    var match = /(^|[^\w.@])@([\w.%+-]*)$/.exec(upto);
    return match ? { text: match[2], start: upto.length - match[2].length - 1 } : null;
  }

  function updateMentions() {
    var q = mentionQuery();
    if (!q) { hideMentions(); return; }
    var needle = q.text.toLowerCase();
    mentionChoices = [];
    people.forEach(function (p) {
      if (p.id === me.id) return;
      if (!needle || p.name.toLowerCase().indexOf(needle) !== -1 || p.handle.toLowerCase().indexOf(needle) !== -1) mentionChoices.push(p);
    });
    if (!mentionChoices.length) { hideMentions(); return; }
    mentionIndex = 0;
    renderMentions();
  }

  function renderMentions() {
    mentionList.innerHTML = "";
    mentionChoices.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.id = "thread-mention-" + p.id;
      li.setAttribute("aria-selected", i === mentionIndex ? "true" : "false");
      li.textContent = p.name;
      var handle = document.createElement("span"); handle.className = "handle"; handle.textContent = "@" + p.handle;
      li.appendChild(handle);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); chooseMention(p); });
      mentionList.appendChild(li);
    });
    mentionList.hidden = false;
    // A textarea is a textbox: aria-expanded is not allowed on it (axe: aria-allowed-attr); the
    // list's visibility and aria-activedescendant tell assistive technology what is offered.
    input.setAttribute("aria-activedescendant", "thread-mention-" + mentionChoices[mentionIndex].id);
  }

  function hideMentions() {
    if (!mentionList) return;
    mentionList.hidden = true; mentionChoices = [];
    input.removeAttribute("aria-activedescendant");
  }

  function chooseMention(p) {
    var q = mentionQuery();
    if (!q) return;
    var before = input.value.slice(0, q.start), after = input.value.slice(input.selectionStart);
    var inserted = "@" + p.handle + " ";
    input.value = before + inserted + after;
    var caret = before.length + inserted.length;
    input.setSelectionRange(caret, caret);
    input.focus();
    hideMentions();
  }

  function mentionKeys(e) {
    if (!mentionChoices.length || mentionList.hidden) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      mentionIndex = (mentionIndex + (e.key === "ArrowDown" ? 1 : mentionChoices.length - 1)) % mentionChoices.length;
      renderMentions(); e.preventDefault(); return true;
    }
    if (e.key === "Enter" || e.key === "Tab") { chooseMention(mentionChoices[mentionIndex]); e.preventDefault(); return true; }
    if (e.key === "Escape") { hideMentions(); e.preventDefault(); return true; }
    return false;
  }

  // --- editing and deleting one's own messages ----------------------------------------------

  function csrfToken() {
    // Cookie-authenticated writes need the page's CSRF token (as documents.js and milestones.js send it).
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function change(m, method, payload) {
    // PATCH or DELETE /api/v1/messages/<id>: resolves with the message object, rejects with an Error
    // whose message is the server's (or a network failure's) text, shown under the message.
    var headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
    if (payload) headers["Content-Type"] = "application/json";
    return fetch(boot.message_url.replace(/\/0$/, "/" + m.id), {
      method: method, credentials: "same-origin", headers: headers,
      body: payload ? JSON.stringify(payload) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) return answer;
        throw new Error((answer.error && answer.error.message) || t("The hub answered {status}; try again.", { status: response.status }));
      });
    }, function () {
      throw new Error(t("Could not reach the hub; check your connection and try again."));
    });
  }

  function openEditor(seq) {
    var m = messages.get(seq);
    if (!m || editors.has(seq) || busy.has(seq) || !changeable(m)) return;
    var form = document.createElement("form"); form.className = "thread-edit"; form.noValidate = true;
    var label = document.createElement("label"); label.className = "sr-only";
    label.htmlFor = "thread-edit-" + seq; label.textContent = t("Edit your message");
    var area = document.createElement("textarea");
    area.id = "thread-edit-" + seq; area.maxLength = boot.max_chars; area.value = m.body;
    area.rows = Math.min(8, Math.max(2, m.body.split("\n").length));
    area.setAttribute("aria-describedby", "thread-edit-hint-" + seq);
    var save = document.createElement("button"); save.type = "submit"; save.className = "primary"; save.textContent = t("Save");
    var cancel = document.createElement("button"); cancel.type = "button"; cancel.textContent = t("Cancel");
    var hint = document.createElement("p"); hint.className = "thread-hint muted"; hint.id = "thread-edit-hint-" + seq;
    hint.textContent = t("Enter saves, Escape cancels, Shift+Enter adds a line.");
    form.appendChild(label); form.appendChild(area); form.appendChild(save); form.appendChild(cancel); form.appendChild(hint);
    form.addEventListener("submit", function (e) { e.preventDefault(); saveEdit(seq); });
    cancel.addEventListener("click", function () { closeEditor(seq); });
    area.addEventListener("keydown", function (e) {
      // Like the composer: Enter saves, Shift+Enter is a new line (and Enter while an IME composes).
      if (e.key === "Escape") { e.preventDefault(); closeEditor(seq); }
      else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); saveEdit(seq); }
    });
    editors.set(seq, { form: form, area: area, save: save, cancel: cancel });
    notes.delete(seq);
    refresh(seq);
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    form.scrollIntoView({ block: "nearest" });
  }

  function closeEditor(seq) {
    var editor = editors.get(seq);
    if (!editor || busy.has(seq)) return;  // not while its save is on the way: its answer decides
    var hadFocus = editor.form.contains(document.activeElement);
    editors.delete(seq);
    notes.delete(seq);
    var li = refresh(seq);
    if (hadFocus) ((li && li.querySelector('[data-action="edit"]')) || list).focus();
  }

  function setEditorBusy(editor, on) {
    editor.save.disabled = on; editor.cancel.disabled = on; editor.area.readOnly = on;
  }

  function saveEdit(seq) {
    var editor = editors.get(seq), m = messages.get(seq);
    if (!editor || !m || busy.has(seq)) return;
    if (editor.area.value === m.body) { closeEditor(seq); return; }  // unchanged: no request, no "(edited)"
    busy.add(seq);
    setEditorBusy(editor, true);
    if (notes.delete(seq)) refresh(seq);
    change(m, "PATCH", { body: editor.area.value }).then(function (answer) {
      busy.delete(seq);
      upsert(answer);     // (a no-op when the room's event came first)
      closeEditor(seq);
    }, function (err) {
      // The editor stays open with the text as typed; nothing else changes.
      busy.delete(seq);
      setEditorBusy(editor, false);
      if (!editors.has(seq)) return;  // deleted meanwhile (from another tab): nothing to edit
      notes.set(seq, err.message);
      refresh(seq);
      editor.area.focus();
    });
  }

  function deleteMessage(seq) {
    var m = messages.get(seq);
    if (!m || busy.has(seq) || !changeable(m)) return;
    if (!window.confirm(t("Delete this message? Everyone in the thread will see “Message deleted” instead."))) return;
    busy.add(seq);
    notes.delete(seq);
    refresh(seq);  // its buttons disabled while the request is on the way
    change(m, "DELETE").then(function (answer) {
      busy.delete(seq);
      upsert(answer);
      // The focused button went with the message's actions: keep the keyboard in the thread.
      if (!document.activeElement || document.activeElement === document.body) list.focus({ preventScroll: true });
    }, function (err) {
      busy.delete(seq);
      notes.set(seq, err.message);
      refresh(seq);
    });
  }

  list.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    var li = button && button.closest(".thread-message");
    if (!li || !li.dataset.seq) return;
    if (button.dataset.action === "edit") openEditor(Number(li.dataset.seq));
    else if (button.dataset.action === "delete") deleteMessage(Number(li.dataset.seq));
  });

  // The buttons go once the window has passed (an open editor stays: its save gets the server's answer).
  setInterval(function () {
    list.querySelectorAll(".thread-message .actions").forEach(function (box) {
      var m = messages.get(Number(box.closest(".thread-message").dataset.seq));
      if (m && changeable(m)) return;
      if (box.contains(document.activeElement)) list.focus({ preventScroll: true });
      box.remove();
    });
  }, 5000);

  // --- earlier messages ----------------------------------------------------------------------

  if (earlierBtn) {
    earlierBtn.addEventListener("click", function () {
      earlierBtn.disabled = true;
      var height = list.scrollHeight;
      fetch(boot.messages_url + "?before_seq=" + oldestSeq + "&limit=50", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
        .then(function (page) {
          page.messages.forEach(upsert);
          earlierBtn.hidden = !page.more;
          list.scrollTop = list.scrollHeight - height;
        })
        .catch(function () { showError(t("Could not load earlier messages; try again.")); })
        .then(function () { earlierBtn.disabled = false; });
    });
  }

  // --- start ---------------------------------------------------------------------------------

  boot.messages.forEach(upsert);
  renderUnreadDivider();
  if (!document.getElementById("thread-unread-divider")) scrollToEnd();
  showJumpLink();
})();
