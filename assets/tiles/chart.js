/* chart tile: the hub sends part "figure" = {figure: <plotly figure JSON>}.
 *
 * The figure is laid out for the tile's native size (pixels of a hall screen). Its
 * box, .cw-chart__canvas, is therefore sized in native pixels (the tile body's CSS
 * size ÷ citywallLive.scale()) and scaled back by transform: scale(s), origin top
 * left: on the /wall overview (s ≈ 1/6) the chart looks exactly as in the hall.
 * plotly measures untransformed sizes, so it always lays out at native size.
 *
 * Test hooks: tile[data-chart-total] = sum of the bars drawn (today's, for hourly)
 * or the gauge's value in %; .cw-chart[data-scale] = the scale applied.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  const watched = new WeakSet();
  const resizes = typeof ResizeObserver === "function" ? new ResizeObserver(onResize) : null;

  function scale() {
    const live = window.citywallLive;
    const s = live && typeof live.scale === "function" ? live.scale() : 1;
    return s > 0 && isFinite(s) ? s : 1;
  }

  function fit(chartEl) {
    const canvas = chartEl.querySelector(".cw-chart__canvas");
    if (!canvas || !chartEl.clientWidth || !chartEl.clientHeight) return;
    const s = scale();
    const width = Math.round(chartEl.clientWidth / s) + "px";
    const height = Math.round(chartEl.clientHeight / s) + "px";
    const transform = "scale(" + s + ")";
    // Only real changes: plotly relayouts when its box changes size.
    if (canvas.style.width !== width) canvas.style.width = width;
    if (canvas.style.height !== height) canvas.style.height = height;
    if (canvas.style.transform !== transform) canvas.style.transform = transform;
    chartEl.dataset.scale = String(s);
  }

  function onResize(entries) {
    entries.forEach((entry) => fit(entry.target));
  }

  function watch() {
    document.querySelectorAll(".cw-chart").forEach((chartEl) => {
      if (watched.has(chartEl)) return;
      watched.add(chartEl);
      fit(chartEl);
      if (resizes) resizes.observe(chartEl);
    });
  }

  function total(figure) {
    let sum = null;
    (figure.data || []).forEach((trace) => {
      let values = [];
      if (trace.type === "indicator") values = [trace.value];
      else if (trace.type === "bar") values = (trace.orientation === "h" ? trace.x : trace.y) || [];
      values.forEach((v) => {
        if (typeof v === "number") sum = (sum || 0) + v;
      });
    });
    return sum === null ? "" : String(Math.round(sum * 1000) / 1000);
  }

  renderers.chart = function (tileEl, state) {
    const figure = state.figure && state.figure.figure;
    const chartEl = tileEl.querySelector(".cw-chart");
    if (!figure || !chartEl) return;
    fit(chartEl);
    // Into Dash's store by the graph's id (as the server spelled it: data-graph-id):
    // the graph (lazy-loaded plotly.js) draws it when mounted, then Plotly.react.
    window.dash_clientside.set_props(JSON.parse(chartEl.dataset.graphId), { figure: figure });
    tileEl.dataset.chartTotal = total(figure);
  };

  new MutationObserver(watch).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("resize", () => document.querySelectorAll(".cw-chart").forEach(fit));
})();
