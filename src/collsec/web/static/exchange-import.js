/* collsec: the progress of a STIX bundle's upload on /reports/import.
 *
 * With JavaScript on, the import form (#import-form) is sent by XMLHttpRequest, the same
 * multipart form with its CSRF token: a <progress> shows the upload's percentage, then
 * "importing" (no percentage: the server takes the bundle in one transaction) until the
 * server's page arrives, which then replaces the page's body as the form's own post
 * would have (its scripts are not run: this one already listens). An answer that is not
 * a page (a 413 of the size limit is problem+json) is shown beside the form. The texts
 * are the form's data- attributes, in the page's language. Text only (textContent).
 * Without JavaScript the form posts as it always did.
 */
(function () {
  "use strict";

  if (window.collsecImportForm || !window.XMLHttpRequest || !window.FormData ||
      !window.DOMParser) { return; }
  window.collsecImportForm = true;

  function text(form, name, fallback) {
    return form.getAttribute("data-" + name) || fallback;
  }

  function statusOf(form) {
    var old = form.querySelector(".import-progress");
    if (old) { old.parentNode.removeChild(old); }  // a failed attempt's
    var box = document.createElement("p");
    box.className = "import-progress";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    var bar = document.createElement("progress");
    bar.id = "import-progress";
    bar.max = 100;
    var label = document.createElement("span");
    label.className = "import-progress-text";
    box.appendChild(bar);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(label);
    form.appendChild(box);
    return { box: box, bar: bar, label: label };
  }

  function uploading(form, shown, percent) {
    shown.bar.value = percent;
    shown.label.textContent = text(form, "uploading", "Uploading the bundle: {percent}%")
      .replace("{percent}", String(percent));
  }

  function importing(form, shown) {
    shown.bar.removeAttribute("value");  // indeterminate: the server is at work
    shown.label.textContent = text(form, "importing", "Importing…");
    form.setAttribute("data-state", "importing");
  }

  function failed(form, shown, message) {
    shown.bar.hidden = true;
    shown.box.classList.add("form-error");
    shown.label.textContent = message;
    form.removeAttribute("data-state");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = false; }
  }

  function problemDetail(xhr) {
    try {
      var problem = JSON.parse(xhr.responseText);
      return problem && typeof problem.detail === "string" ? problem.detail : "";
    } catch (e) {
      return "";
    }
  }

  function showPage(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    if (!doc.body) { return false; }
    Array.prototype.forEach.call(doc.body.querySelectorAll("script"), function (s) {
      s.parentNode.removeChild(s);
    });
    if (doc.title) { document.title = doc.title; }
    var lang = doc.documentElement.getAttribute("lang");
    if (lang) { document.documentElement.setAttribute("lang", lang); }
    document.documentElement.replaceChild(document.adoptNode(doc.body), document.body);
    var first = document.getElementById("result") || document.getElementById("refusal");
    if (first) {
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
    return true;
  }

  function send(form) {
    var shown = statusOf(form);
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    form.setAttribute("data-state", "uploading");
    uploading(form, shown, 0);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "text/html");
    // a refusal made before the page (the size limit's) is worded in this language
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "en");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable && e.total > 0) {
        uploading(form, shown, Math.min(100, Math.round(100 * e.loaded / e.total)));
      }
    });
    xhr.upload.addEventListener("load", function () {
      uploading(form, shown, 100);
      importing(form, shown);
    });
    xhr.addEventListener("load", function () {
      var type = xhr.getResponseHeader("Content-Type") || "";
      var target = new URL(form.action, window.location.href);
      if (xhr.responseURL && new URL(xhr.responseURL).pathname !== target.pathname) {
        window.location.assign(xhr.responseURL);  // sent elsewhere, e.g. to sign in
        return;
      }
      if (type.indexOf("text/html") === 0 && showPage(xhr.responseText)) { return; }
      var detail = problemDetail(xhr) || String(xhr.status);
      failed(form, shown, text(form, "refused", "Refused, nothing was recorded:") + " " +
        detail);
    });
    xhr.addEventListener("error", function () {
      failed(form, shown, text(form, "failed", "The connection failed."));
    });
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.id !== "import-form" || e.defaultPrevented) { return; }
    e.preventDefault();
    if (form.getAttribute("data-state")) { return; }  // one upload at a time
    send(form);
  });
})();
