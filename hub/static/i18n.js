// The page's language for scripts: `hubT(text, params)` translates through the catalogue that
// /i18n/<locale>.js loads (window.HUB_I18N), and `hubFormatTime(iso, zone)` writes a moment the
// one way the server's `format_time` does: the locale's CLDR pattern, then the zone's city
// ("4 Dec 2026, 17:16 Chicago time"). Zone: the viewer's configured one (<body data-viewer-zone>),
// never the browser's.
(function () {
  "use strict";
  var cat = window.HUB_I18N || { messages: {}, timePattern: "d MMM yyyy, HH:mm", datePattern: "d MMM yyyy",
    months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], zoneTime: "{city} time" };

  function hubT(text, params) {
    var out = (cat.messages && cat.messages[text]) || text;
    Object.keys(params || {}).forEach(function (key) { out = out.split("{" + key + "}").join(String(params[key])); });
    return out;
  }

  function wallParts(date, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return { y: Number(parts.year), M: Number(parts.month), d: Number(parts.day), H: Number(parts.hour) % 24,
      m: Number(parts.minute) };
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The pattern letters the hub's patterns use: yyyy, MMM, M, d, HH, H, mm (others kept as text).
  function applyPattern(pattern, w) {
    return pattern.replace(/yyyy|MMM|MM|M|dd|d|HH|H|mm/g, function (token) {
      switch (token) {
        case "yyyy": return String(w.y);
        case "MMM": return cat.months[w.M - 1];
        case "MM": return pad(w.M);
        case "M": return String(w.M);
        case "dd": return pad(w.d);
        case "d": return String(w.d);
        case "HH": return pad(w.H);
        case "H": return String(w.H);
        default: return pad(w.m);
      }
    });
  }

  function viewerZone() {
    return (document.body && document.body.dataset.viewerZone) || "UTC";
  }

  function zoneLabel(zone) {
    if (!zone || zone === "UTC" || zone === "Etc/UTC") return "UTC";
    if (document.body && zone === document.body.dataset.viewerZone && document.body.dataset.viewerZoneLabel) {
      return document.body.dataset.viewerZoneLabel;  // the server's words, with the city in the page's language
    }
    var city = zone.split("/").pop().replace(/_/g, " ");
    return cat.zoneTime.split("{city}").join(city);
  }

  function hubFormatTime(iso, zone, withZone) {
    zone = zone || viewerZone();
    var date = new Date(iso);
    try {
      var text = applyPattern(cat.timePattern, wallParts(date, zone));
      return withZone === false ? text : text + " " + zoneLabel(zone);
    } catch (e) {
      return applyPattern(cat.timePattern, wallParts(date, "UTC")) + " UTC";
    }
  }

  function fill(key, values) {
    var out = (cat.facts && cat.facts[key]) || "";
    Object.keys(values).forEach(function (name) { out = out.split("{" + name + "}").join(String(values[name])); });
    return out;
  }

  function formatDate(isoDate) {
    var p = String(isoDate).split("-");
    return applyPattern(cat.datePattern, { y: Number(p[0]), M: Number(p[1]), d: Number(p[2]), H: 0, m: 0 });
  }

  function word(text) { return (cat.riskWords || {})[text] || text || ""; }

  // What an automatic risk rule found, as hub.i18n._risk_detail says it ("" without facts).
  function riskDetail(d) {
    var what = (d || {}).what, out;
    if (what === "standing") {
      out = fill("since", { milestone: (cat.milestones || {})[d.code] || d.code, time: hubFormatTime(d.time) });
      if (d.location) out = fill("at_place", { text: out, location: d.location });
      return d.note ? fill("note", { text: out, note: d.note }) : out;
    }
    if (what === "documents") {
      var docs = (d.documents || []).map(function (p) {
        return fill(p[1] === "rejected" ? "doc_rejected" : "doc_missing", { document: (cat.docTypes || {})[p[0]] || p[0] });
      });
      return fill("docs_due", { date: formatDate(d.date), documents: docs.join(", ") });
    }
    if (what === "overdue") {
      return d.days === 1 ? fill("overdue_one", { date: formatDate(d.date) }) : fill("overdue", { date: formatDate(d.date), days: d.days });
    }
    if (what === "bounced") return fill("bounced", { emails: d.emails || "" });
    if (what === "no_agent") return fill("no_agent", {});
    return "";
  }

  // A risk flag's message from its facts, as hub.i18n._risk_text says it.
  function riskText(facts) {
    var rule = word(facts.label || facts.rule), out = "";
    if (facts.action === "opened") {
      out = fill("risk_opened", { severity: word(facts.severity), rule: rule });
      var detail = riskDetail(facts.detail_facts) || facts.detail;
      if (detail) out = fill("note", { text: out, note: detail });
      if (facts.owner) out = fill("risk_owner", { text: out, name: facts.owner });
      if (facts.actor) out = fill("risk_raised_by", { text: out, name: facts.actor });
      return out;
    }
    if (facts.action === "resolved") {
      out = facts.actor ? fill("risk_resolved_by", { rule: rule, name: facts.actor }) : fill("risk_resolved_auto", { rule: rule });
      if (facts.note) out = fill("note", { text: out, note: facts.note });
      return out;
    }
    if (facts.action === "turned" && facts.into === "risk") return fill("turned_risk", { name: facts.actor || "", seq: facts.seq || "" });
    if (facts.action === "turned" && facts.into === "milestone") {
      return fill("turned_milestone", { name: facts.actor || "", seq: facts.seq || "",
        milestone: (cat.milestones || {})[facts.code] || facts.code || "" });
    }
    return "";
  }

  // A milestone or document message said from its facts, as hub.i18n.facts_text says it; the
  // file name is returned apart (`file`) so the caller can make it a link to the document.
  function hubFactsText(facts, zone) {
    if (!facts) return "";
    if (facts.kind === "milestone") {
      var text = fill("milestone", { milestone: (cat.milestones || {})[facts.code] || facts.code,
        time: hubFormatTime(facts.time, zone) });
      if (facts.location) text = fill("location", { text: text, location: facts.location });
      if (facts.note) text = fill("note", { text: text, note: facts.note });
      return text;
    }
    if (facts.kind === "risk") return riskText(facts);
    if (facts.kind === "participant" && facts.action === "joined") {
      return fill("joined", { name: facts.name || "", organization: facts.organization || "",
        role: (cat.roles || {})[facts.role] || facts.role || "" });
    }
    if (facts.kind !== "document" || !(cat.facts || {})[facts.action]) return "";
    var out = fill(facts.action, { document: (cat.docTypes || {})[facts.doc_type] || facts.doc_type,
      file: facts.file_name || "", version: facts.version || "" });
    if (facts.action === "requested" && facts.due_date) out = fill("due", { text: out, date: formatDate(facts.due_date) });
    if (["uploaded", "new_version", "requested"].indexOf(facts.action) >= 0 && facts.note) {
      out = fill("with_note", { text: out, note: facts.note });
    }
    if (facts.action === "rejected" && facts.reason) out = fill("note", { text: out, note: facts.reason });
    return out;
  }

  window.hubT = hubT;
  window.hubFactsText = hubFactsText;
  window.hubFormatTime = hubFormatTime;
  window.hubZoneLabel = zoneLabel;
})();
