/* collsec: keeps the outcome of each agenda item on a session page current.
 *
 * Every two seconds it reads GET /api/v1/sessions/{id}?lang=.. (the same outcome and
 * explanation the page was rendered with) and rewrites each item's outcome block.
 * Text only (textContent), nothing from elsewhere. Without JavaScript the page works
 * as it is, and a reload shows the same. When an item is added or closed, the page is
 * reloaded (unless a form field has the focus) so its forms and document link follow.
 */
(function () {
  "use strict";

  var INTERVAL = 2000;
  var agenda = document.getElementById("agenda");
  if (!agenda || !window.fetch) { return; }
  var sessionId = agenda.getAttribute("data-session");
  var lang = agenda.getAttribute("data-lang") || "en";
  var labels = {
    adopted: agenda.getAttribute("data-adopted") || "Adopted",
    notAdopted: agenda.getAttribute("data-not-adopted") || "Not adopted"
  };
  var url = "/api/v1/sessions/" + encodeURIComponent(sessionId) + "?lang=" + encodeURIComponent(lang);
  var busy = false;

  function stateName(data, code) {
    var names = data.state_names && data.state_names[code];
    return (names && (names[lang] || names.en)) || code;
  }

  function renderTally(dd, codes, data, reservations) {
    while (dd.firstChild) { dd.removeChild(dd.firstChild); }
    if (!codes || codes.length === 0) {
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = "\u2014";
      dd.appendChild(none);
      return;
    }
    codes.forEach(function (code, i) {
      if (i > 0) { dd.appendChild(document.createTextNode(" ")); }
      var span = document.createElement("span");
      span.className = "tally-state";
      span.setAttribute("data-state", code);
      span.textContent = stateName(data, code);
      if (reservations[code]) {
        span.appendChild(document.createTextNode(" "));
        var q = document.createElement("q");
        q.className = "reservation";
        q.textContent = reservations[code];
        span.appendChild(q);
      }
      dd.appendChild(span);
    });
  }

  function refreshItem(article, item, data) {
    var block = article.querySelector("[data-role=outcome]");
    if (!block) { return; }
    var o = item.outcome;
    block.classList.toggle("outcome-adopted", o.adopted);
    block.classList.toggle("outcome-rejected", !o.adopted);
    var verdict = block.querySelector("[data-role=verdict]");
    if (verdict) { verdict.textContent = o.adopted ? labels.adopted : labels.notAdopted; }
    var explanation = block.querySelector("[data-role=explanation]");
    if (explanation && explanation.textContent !== o.explanation) {
      explanation.textContent = o.explanation;
    }
    var reservations = {};
    (item.positions || []).forEach(function (p) { reservations[p.state] = p.reservation; });
    block.querySelectorAll("dd[data-position]").forEach(function (dd) {
      renderTally(dd, o.tally[dd.getAttribute("data-position")], data, reservations);
    });
  }

  function update(data) {
    var items = data.items || [];
    var shown = document.querySelectorAll("#agenda article[data-item]");
    var changed = shown.length !== items.length;
    items.forEach(function (item) {
      var article = document.getElementById("item-" + item.id);
      if (!article || article.getAttribute("data-status") !== item.status) {
        changed = true;  // an item was added, opened or closed: its forms change too
      } else {
        refreshItem(article, item, data);
      }
    });
    if (changed) {
      var active = document.activeElement;
      if (!(active && active.form)) { window.location.reload(); }  // not while typing
      return;
    }
    agenda.setAttribute("data-refreshed", String(Date.now()));
  }

  function tick() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store",
                 credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(tick, INTERVAL);
})();
