/* citywall live tiles: one EventSource per page, fed by /live/events.
 *
 * The server sends frames of tile parts (key → value): a full frame on connect,
 * then deltas (changed keys only; null removes a key). This file keeps each tile's
 * state, asks the tile type's renderer to draw the parts that changed, and shows
 * the stale badge ("数据中断 · 12 s") while the data is not live. Every element with
 * [data-live] and a [data-tile-id] is fed; its [data-renderer] (the tile type, named
 * by the tile's view) is window.citywallRenderers[name] = function (el, state,
 * changedParts), found at render time, so asset load order does not matter.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  const state = {}; // tile id -> part -> key -> value
  const dirty = {}; // tile id -> Set of part names not yet drawn
  let source = null;
  let subscribed = "";
  let status = { stale: true, reason: "starting", age_ms: null };
  let statusAt = Date.now();
  let lastMessageAt = 0;

  function liveTiles() {
    return Array.from(document.querySelectorAll("[data-live][data-tile-id]"));
  }

  function markDirty(tileId, parts) {
    const set = (dirty[tileId] = dirty[tileId] || new Set());
    parts.forEach((part) => set.add(part));
  }

  function apply(message) {
    lastMessageAt = Date.now();
    if (message.status) {
      status = message.status;
      statusAt = lastMessageAt;
      // The server's clock: tours turn by it, so every screen shows the same camera.
      if (status.now_ms) window.citywallLive.serverOffsetMs = status.now_ms - lastMessageAt;
    }
    if (!message.tiles) return;
    Object.entries(message.tiles).forEach(([tileId, parts]) => {
      if (message.full) state[tileId] = {};
      const tile = (state[tileId] = state[tileId] || {});
      Object.entries(parts).forEach(([name, values]) => {
        const part = message.full ? {} : Object.assign({}, tile[name] || {});
        Object.entries(values).forEach(([key, value]) => {
          if (value === null) delete part[key];
          else part[key] = value;
        });
        tile[name] = part;
      });
      markDirty(tileId, message.full ? Object.keys(tile) : Object.keys(parts));
    });
    window.citywallLive.seq = message.seq;
    window.citywallLive.updateMs = message.update_ms;
    draw();
  }

  function draw() {
    const drawn = new Set();
    liveTiles().forEach((el) => {
      const tileId = el.dataset.tileId;
      if (!state[tileId]) return;
      // A tile mounted after the data arrived (or re-mounted by the router) draws everything.
      const parts = el.__cwDrawn ? dirty[tileId] : new Set(Object.keys(state[tileId]));
      if (!parts || parts.size === 0) return;
      const render = renderers[el.dataset.renderer];
      if (!render) return;
      try {
        render(el, state[tileId], parts);
        el.__cwDrawn = true;
      } catch (err) {
        console.warn("citywall: tile " + tileId + " could not draw", err);
      }
      drawn.add(tileId); // several elements may show one tile (the console's miniature)
    });
    drawn.forEach((tileId) => delete dirty[tileId]);
  }

  function connect() {
    const ids = Array.from(new Set(liveTiles().map((el) => el.dataset.tileId))).sort().join(",");
    if (ids === subscribed && source) return;
    if (source) source.close();
    subscribed = ids;
    if (!ids) {
      source = null;
      return;
    }
    source = new EventSource("/live/events?tiles=" + encodeURIComponent(ids));
    source.onmessage = (event) => apply(JSON.parse(event.data));
    source.onopen = () => {
      // For diagnostics and tests: how many times this page has (re)connected.
      const wall = document.getElementById("wall");
      if (wall) wall.dataset.liveConnects = String(Number(wall.dataset.liveConnects || 0) + 1);
    };
    // EventSource reconnects by itself (the server asks for 1 s); the badge shows meanwhile.
  }

  function formatAge(ms, wall) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return wall.dataset.ageSeconds.replace("{n}", s);
    if (s < 7200) return wall.dataset.ageMinutes.replace("{n}", Math.floor(s / 60));
    return wall.dataset.ageHours.replace("{n}", Math.floor(s / 3600));
  }

  function showStaleness() {
    const wall = document.getElementById("wall");
    if (!wall) return;
    const now = Date.now();
    const silent = !lastMessageAt || now - lastMessageAt > 3000; // server or network gone
    const stale = silent || status.stale;
    let text = "";
    if (stale) {
      const age = status.age_ms === null ? null : status.age_ms + (now - statusAt);
      const label = status.reason === "unconfigured" ? wall.dataset.labelNoData : wall.dataset.labelStale;
      text = age === null ? label : label + " · " + formatAge(age, wall);
    }
    liveTiles().forEach((el) => {
      if (el.dataset.liveQuiet) return; // steered by live data (a camera tile), not data itself
      el.classList.toggle("cw-tile--stale", stale);
      const badge = el.querySelector(".cw-tile__stale");
      if (badge && badge.textContent !== text) badge.textContent = text;
    });
    wall.dataset.liveState = stale ? "stale" : "live";
  }

  /* CSS px per native pixel of a hall screen: 1 on /wall/screen/<n> at native size,
   * about 1/6 on the /wall overview. Renderers of canvas-like content (plotly, leaflet)
   * lay it out at native size and scale it by this, so it looks the same in both. */
  function scale() {
    const wall = document.getElementById("wall");
    if (!wall) return 1;
    const rows = Number(wall.style.getPropertyValue("--rows")) || 1;
    const screenH = Number(wall.style.getPropertyValue("--screen-h")) || wall.clientHeight;
    return wall.clientHeight / (rows * screenH) || 1;
  }

  window.citywallLive = { state: state, seq: null, updateMs: null, redraw: draw, scale: scale };
  // Pages are drawn by Dash after load and on navigation: follow the DOM.
  new MutationObserver(() => {
    connect();
    draw();
  }).observe(document.documentElement, { childList: true, subtree: true });
  setInterval(showStaleness, 500);
})();
