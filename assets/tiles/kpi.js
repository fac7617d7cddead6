/* kpi tile: the hub sends part "values" = KPI key → {text, change, dir}. */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  renderers.kpi = function (tileEl, state) {
    const values = state.values || {};
    tileEl.querySelectorAll(".cw-kpi__cell").forEach((cell) => {
      const kpi = values[cell.dataset.kpi];
      if (!kpi) return;
      const value = cell.querySelector(".cw-kpi__value");
      const change = cell.querySelector(".cw-kpi__change");
      if (value.textContent !== kpi.text) value.textContent = kpi.text;
      if (change.textContent !== kpi.change) change.textContent = kpi.change;
      cell.dataset.dir = kpi.dir;
    });
  };
})();
