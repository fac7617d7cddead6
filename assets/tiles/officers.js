/* officers tile: parts "totals" (status → count) and "grids" (grid → rank, label, counts). */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});

  function span(text) {
    const el = document.createElement("span");
    el.textContent = text;
    return el;
  }

  renderers.officers = function (tileEl, state, changed) {
    const totals = state.totals || {};
    tileEl.querySelectorAll(".cw-officers__total").forEach((el) => {
      const value = totals[el.dataset.status];
      if (value !== undefined) el.querySelector(".cw-officers__count").textContent = String(value);
    });
    const rows = tileEl.querySelector(".cw-officers__rows");
    if (!rows || !changed.has("grids")) return;
    const columns = tileEl.querySelector(".cw-officers").dataset.columns.split(",");
    const grids = Object.entries(state.grids || {}).sort((a, b) => a[1].rank - b[1].rank);
    rows.replaceChildren(
      ...grids.map(([code, g]) => {
        const row = document.createElement("div");
        row.className = "cw-officers__row";
        row.dataset.grid = code;
        row.append(span(g.label), ...columns.map((c) => span(String(g[c]))));
        return row;
      })
    );
  };
})();
