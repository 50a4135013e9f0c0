/* Documents panel of the shipment page: drag and drop of several files, one upload per file
   through the API with a progress bar (XMLHttpRequest upload progress), new versions, the
   one-click "Documents complete" milestone, and confirmation before withdrawing.
   Without this script the panel's forms still work (plain form posts). */
(function () {
  "use strict";
  if (window.HubDocuments) { window.HubDocuments.init(); return; }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function panel() { return document.getElementById("documents"); }

  function say(text, isError) {
    var status = document.getElementById("documents-status");
    if (!status) { return; }
    status.textContent = text;
    status.className = isError ? "flash flash-error" : "muted";
  }

  function errorText(xhrOrResponseBody, status) {
    try {
      var body = typeof xhrOrResponseBody === "string" ? JSON.parse(xhrOrResponseBody) : xhrOrResponseBody;
      var error = body && body.error;
      if (error) {
        var detail = error.fields ? " (" + Object.keys(error.fields).map(function (k) {
          return k + ": " + error.fields[k];
        }).join("; ") + ")" : "";
        return error.message + detail;
      }
    } catch (e) { /* not JSON */ }
    return status === 413 ? window.hubT("The file is too large.") : window.hubT("The upload failed (HTTP {status}).", { status: status });
  }

  /* Replace the panel with a fresh copy from the server, then wire it up again; the
     disclosures that were open stay open. */
  function refresh(message, isError) {
    pendingLive = false;  // the fresh copy has every change so far
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("documents");
        var current = panel();
        if (fresh && current) {
          current.querySelectorAll("details[open][data-key]").forEach(function (open) {
            var same = fresh.querySelector('details[data-key="' + open.getAttribute("data-key") + '"]');
            if (same) { same.open = true; }
          });
          // The outcome of the last upload (a refusal beside its file) stays where it was.
          ["[data-upload-progress]", "[data-upload-status]"].forEach(function (selector) {
            var old = current.querySelector(selector);
            var twin = fresh.querySelector(selector);
            if (old && twin && old.textContent !== "") {
              twin.replaceWith(old);
            }
          });
          // What the user had typed or chosen stays (the fresh copy's fields are empty).
          current.querySelectorAll("textarea[id], input[id], select[id]").forEach(function (field) {
            var twin = fresh.querySelector("#" + CSS.escape(field.id));
            if (!twin || field.type === "hidden") { return; }
            if (field.type === "file") {
              if (field.files && field.files.length) { try { twin.files = field.files; } catch (e) { /* older browsers */ } }
              return;
            }
            if (field.value !== "" && field.value !== field.defaultValue) { twin.value = field.value; }
          });
          current.replaceWith(fresh);
          init();
        }
        if (message) { say(message, isError); }
      });
  }

  /* Someone changed the documents (a socket event): refresh, but not under the user's hands
     (an upload running, or a field of the panel being filled in): then once they are done. */
  var pendingLive = false;
  var uploading = 0;
  function busy() {
    var root = panel();
    if (!root || uploading > 0) { return true; }
    var active = document.activeElement;
    return Boolean(active && root.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
  }
  function liveRefresh() {
    if (busy()) { pendingLive = true; return; }
    pendingLive = false;
    refresh(null);
  }
  document.addEventListener("hub:socket-event", function (event) {
    var name = event.detail && event.detail.event;
    var data = (event.detail && event.detail.data) || {};
    var root = panel();
    if ((name === "document" || name === "document_request") && root &&
        String(data.shipment_id) === root.getAttribute("data-shipment-id")) {
      liveRefresh();
    }
  });
  document.addEventListener("focusout", function () {
    if (pendingLive) { setTimeout(liveRefresh, 300); }
  });
  setInterval(function () { if (pendingLive) { liveRefresh(); } }, 5000);

  function uploadOne(url, file, fields, list, maxBytes) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    var bar = document.createElement("progress");
    label.textContent = file.name + " ";
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Uploading " + file.name);
    item.appendChild(label);
    item.appendChild(bar);
    list.appendChild(item);
    if (maxBytes && file.size > maxBytes) {
      bar.remove();
      label.textContent = window.hubT("{file}: larger than the upload limit.", { file: file.name });
      label.className = "danger";
      return Promise.resolve(false);
    }
    return new Promise(function (resolve) {
      var form = new FormData();
      form.append("file", file, file.name);
      Object.keys(fields).forEach(function (name) {
        if (fields[name]) { form.append(name, fields[name]); }
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { bar.value = Math.round((event.loaded / event.total) * 100); }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201) {
          bar.value = 100;
          label.textContent = window.hubT("{file}: uploaded", { file: file.name }) + " ";
          resolve(true);
        } else {
          bar.remove();
          label.textContent = file.name + ": " + errorText(xhr.responseText, xhr.status);
          label.className = "danger";
          resolve(false);
        }
      });
      xhr.addEventListener("error", function () {
        bar.remove();
        label.textContent = window.hubT("{file}: the connection failed.", { file: file.name });
        label.className = "danger";
        resolve(false);
      });
      xhr.send(form);
    });
  }

  function uploadAll(files, url, fields, list, maxBytes, statusBox) {
    var ok = 0;
    uploading += 1;
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () {
        return uploadOne(url, file, fields, list, maxBytes).then(function (done) { if (done) { ok += 1; } });
      });
    });
    return chain.then(function () {
      uploading -= 1;
      var failed = files.length - ok;
      var text = failed ? window.hubT("{ok} of {count} file(s) uploaded; {failed} failed (see below).", { ok: ok, count: files.length, failed: failed })
        : window.hubT("{ok} of {count} file(s) uploaded.", { ok: ok, count: files.length });
      if (ok && !failed) { return refresh(text); }
      // The refusals stay beside their files (the progress list), next to the form; a refresh
      // keeps both, and shows the files that were stored (their live events waited meanwhile).
      if (statusBox) {
        statusBox.textContent = text;
        statusBox.className = "upload-status" + (failed ? " flash flash-error" : "");
      }
      if (ok) { return refresh(text, true); }
      say(text, true);
      return null;
    });
  }

  function wireUploadForm(root) {
    var form = root.querySelector("[data-upload-form]");
    if (!form) { return; }
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-dropzone]");
    var list = form.querySelector("[data-upload-progress]");
    var url = root.getAttribute("data-upload-url");
    var maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10) || 0;
    function fields() {
      return { doc_type: form.elements.doc_type.value, note: form.elements.note.value };
    }
    function start(files) {
      if (!files || !files.length) { say(window.hubT("Choose at least one file."), true); return; }
      list.innerHTML = "";
      say(window.hubT("Uploading {count} file(s)…", { count: files.length }));
      var chosen = Array.prototype.slice.call(files);
      var values = fields();
      // The form is free again at once (a refresh keeps what is typed or chosen in it).
      input.value = "";
      form.elements.note.value = "";
      uploadAll(chosen, url, values, list, maxBytes, form.querySelector("[data-upload-status]"));
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(input.files);
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("dragover"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      start(event.dataTransfer.files);
    });
  }

  function wireVersionForms(root) {
    root.querySelectorAll("[data-version-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var input = form.querySelector('input[type="file"]');
        var list = form.querySelector(".upload-progress");
        if (!list) {
          list = document.createElement("ul");
          list.className = "upload-progress";
          form.appendChild(list);
        }
        var maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10) || 0;
        list.innerHTML = "";
        var chosen = Array.prototype.slice.call(input.files);
        var note = form.elements.note.value;
        input.value = "";
        form.elements.note.value = "";
        uploadAll(chosen, form.getAttribute("data-url"), { note: note }, list, maxBytes, null);
      });
    });
  }

  function wireConfirmations(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  function wireMilestoneButton(root) {
    var button = root.querySelector("[data-record-documents-complete]");
    if (!button) { return; }
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch(root.getAttribute("data-milestones-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ code: "documents_complete", occurred_at: new Date().toISOString() })
      }).then(function (response) {
        if (response.ok) { return refresh(window.hubT("“Documents complete” recorded.")); }
        return response.text().then(function (text) {
          button.disabled = false;
          say(errorText(text, response.status), true);
        });
      }).catch(function () {
        button.disabled = false;
        say(window.hubT("Could not reach the hub; try again."), true);
      });
    });
  }

  /* Previews load when opened (a closed one costs nothing on a phone network). */
  function wirePreviews(root) {
    root.querySelectorAll("details.doc-preview").forEach(function (details) {
      function load() {
        var target = details.querySelector("[data-src]");
        if (details.open && target && !target.getAttribute("src")) { target.setAttribute("src", target.getAttribute("data-src")); }
      }
      details.addEventListener("toggle", load);
      load();
    });
  }

  function init() {
    var root = panel();
    if (!root || root.getAttribute("data-wired") === "1") { return; }
    root.setAttribute("data-wired", "1");
    wireUploadForm(root);
    wireVersionForms(root);
    wireConfirmations(root);
    wireMilestoneButton(root);
    wirePreviews(root);
  }

  window.HubDocuments = { init: init, refresh: refresh };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
