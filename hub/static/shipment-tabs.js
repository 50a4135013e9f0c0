/* The shipment page on a phone: facts, timeline, thread and documents are tabs, one shown at a
   time under the header (a sticky bar of links). Without this script, or on a wider screen, the
   bar's links are plain jumps to each part and every part is shown. */
(function () {
  "use strict";
  var bar = document.getElementById("shipment-tabs");
  if (!bar) return;
  var phone = window.matchMedia("(max-width: 640px)");
  var links = Array.prototype.slice.call(bar.querySelectorAll("a[data-tab-targets]"));
  var current = null;

  function targets(link) { return link.getAttribute("data-tab-targets").split(" "); }
  function linkFor(id) {
    return links.find(function (link) { return targets(link).indexOf(id) >= 0; }) || null;
  }
  function containing(element) {
    // The tab whose part holds `element` (a fragment such as #thread-unread-divider or #upload-files).
    var node = element;
    while (node && node !== document.body) {
      if (node.id && linkFor(node.id)) return linkFor(node.id);
      node = node.parentElement;
    }
    return null;
  }

  function show(link) {
    current = link;
    links.forEach(function (other) {
      var on = other === link;
      if (on) other.setAttribute("aria-current", "true"); else other.removeAttribute("aria-current");
      targets(other).forEach(function (id) {
        var part = document.getElementById(id);
        if (part) part.classList.toggle("tab-hidden", phone.matches && !on);
      });
    });
    document.body.classList.toggle("tabs-active", phone.matches);
  }

  links.forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!phone.matches) return;  // a plain jump on wide screens
      event.preventDefault();
      show(link);
      history.replaceState(null, "", link.getAttribute("href"));
      // The chosen part starts right under the bar, the header stays above it.
      var top = bar.getBoundingClientRect().top + window.scrollY - 1;
      if (window.scrollY > top) window.scrollTo(0, top);
    });
  });

  // Links inside the page (e.g. "Jump to new messages") open the tab holding their target.
  document.addEventListener("click", function (event) {
    var anchor = event.target.closest && event.target.closest('a[href^="#"]');
    if (!anchor || bar.contains(anchor) || !phone.matches) return;
    var target = document.getElementById(anchor.getAttribute("href").slice(1));
    var link = target && containing(target);
    if (link && link !== current) show(link);
  });

  function initial() {
    var id = window.location.hash.slice(1);
    var target = id && document.getElementById(id);
    return (target && containing(target)) || linkFor("thread") || links[0];
  }
  show(initial());
  window.addEventListener("hashchange", function () { show(initial()); });
  phone.addEventListener("change", function () { show(current || initial()); });
})();
