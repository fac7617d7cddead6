/* cases tile: parts "latest" and "overdue" = case id → row (rank, time, category,
 * grid, address, status, urgent, overdue, late); a row shows the address where the case
 * has one, else its grid; its time is HH:MM today, MM-DD HH:MM on another day. Rows are redrawn per list; a list longer
 * than its window rolls slowly up and back (CSS animation, distance set here). */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});

  function cell(className, text) {
    const span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function row(caseId, c) {
    const el = document.createElement("div");
    el.className = "cw-case" + (c.overdue ? " cw-case--overdue" : "") + (c.urgent ? " cw-case--urgent" : "") +
      (c.finished ? " cw-case--finished" : "");
    el.dataset.caseId = caseId;
    el.append(
      cell("cw-case__time", c.time),
      cell("cw-case__category", c.category),
      c.address ? cell("cw-case__address", c.address) : cell("cw-case__grid", c.grid),
      cell("cw-case__status", c.late || c.status)
    );
    return el;
  }

  function roll(section) {
    const win = section.querySelector(".cw-cases__window");
    const rows = section.querySelector(".cw-cases__rows");
    const overflow = rows.scrollHeight - win.clientHeight;
    rows.style.setProperty("--roll", overflow > 0 ? -overflow + "px" : "0px");
    rows.classList.toggle("cw-cases__rows--rolling", overflow > 0);
  }

  renderers.cases = function (tileEl, state, changed) {
    tileEl.querySelectorAll(".cw-cases__section").forEach((section) => {
      const name = section.dataset.list;
      const total = (state.counts || {})[name];
      if (total !== undefined) section.querySelector(".cw-cases__count").textContent = String(total);
      if (!changed.has(name)) return;
      const entries = Object.entries(state[name] || {}).sort((a, b) => a[1].rank - b[1].rank);
      const rows = section.querySelector(".cw-cases__rows");
      rows.replaceChildren(...entries.map(([id, c]) => row(id, c)));
      if (!entries.length) rows.append(cell("cw-cases__empty", section.dataset.empty));
      section.dataset.count = String(entries.length);
      section.classList.toggle("cw-cases__section--dated", entries.some(([, c]) => c.time.length > 5));
      roll(section);
    });
  };
})();
