/* The mailbox's email page: the HTML part's frame grows to the email's full height (the frame
   keeps its origin for this, and runs nothing), so the whole email reads without a box that
   scrolls inside the page. */
(function () {
  "use strict";
  var frame = document.getElementById("email-frame");
  if (!frame) return;
  function fit() {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
    } catch (e) { /* not readable: the frame keeps its CSS height and scrolls */ }
  }
  frame.addEventListener("load", fit);
  window.addEventListener("resize", fit);
  fit();
})();
