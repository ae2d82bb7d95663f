// Charts drawn on the server (web/charts.py) made interactive where JavaScript runs: the
// value of the bar or point under the pointer (or keyboard focus) is read out beside the
// chart, and a click on a legend entry hides or shows its series. Without this script
// the chart is whole, and each bar and point still carries its value as a <title>.
"use strict";
(function () {
  function readout(figure) {
    let out = figure.querySelector(".chart-readout");
    if (!out) {
      out = document.createElement("p");
      out.className = "chart-readout small";
      out.setAttribute("aria-live", "polite");
      figure.appendChild(out);
    }
    return out;
  }

  function enhance(figure) {
    const svg = figure.querySelector("svg.chart");
    if (!svg || svg.dataset.enhanced) return;
    svg.dataset.enhanced = "1";
    const marks = svg.querySelectorAll("[data-value]");
    marks.forEach(function (mark) {
      mark.setAttribute("tabindex", "0");
      const show = function () {
        const title = mark.querySelector("title");
        readout(figure).textContent = title ? title.textContent : mark.dataset.value;
        marks.forEach(function (m) { m.classList.remove("chart-active"); });
        mark.classList.add("chart-active");
      };
      mark.addEventListener("mouseenter", show);
      mark.addEventListener("focus", show);
    });
    svg.querySelectorAll(".chart-legend-swatch").forEach(function (swatch) {
      const series = Array.from(swatch.classList).find(function (c) {
        return c.indexOf("series-") === 0;
      });
      const label = swatch.nextElementSibling;
      [swatch, label].forEach(function (el) {
        if (!el) return;
        el.addEventListener("click", function () {
          const hidden = swatch.classList.toggle("chart-hidden");
          svg.querySelectorAll("." + series).forEach(function (el2) {
            if (el2 !== swatch) el2.setAttribute("visibility", hidden ? "hidden" : "visible");
          });
        });
      });
    });
  }

  document.querySelectorAll("figure.chart").forEach(enhance);
})();
