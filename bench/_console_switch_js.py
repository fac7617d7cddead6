"""The page-side scripts of bench/console_switch.py (run through selenium's execute_script).

Every time is ``Date.now()`` in the page: all the tabs run on this machine, one clock.
"""

from __future__ import annotations

from typing import Final

# A wall tab: per camera id, when a cell for it first appears in #tile-main ("seen") and
# when its data-frames (camera_player.js: frames presented) first goes above 0 ("played").
# A MutationObserver catches both as they happen; requestAnimationFrame is a safety net.
RECORDER: Final = """
if (!window.__cwSwitch) {
  const rec = (window.__cwSwitch = { seen: {}, played: {} });
  performance.setResourceTimingBufferSize(100000);
  const scan = () => {
    const tile = document.getElementById("tile-main");
    if (!tile) return;
    const now = Date.now();
    for (const cell of tile.querySelectorAll("[data-camera-id]")) {
      const id = cell.dataset.cameraId;
      if (!(id in rec.seen)) rec.seen[id] = now;
      if (!(id in rec.played) && Number(cell.dataset.frames || 0) > 0) rec.played[id] = now;
    }
  };
  new MutationObserver(scan).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["data-frames", "data-camera-id"],
  });
  const loop = () => { scan(); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
}
return Date.now();
"""

# Forget what was recorded for these cameras (a revisit is timed afresh).
ARM: Final = """
for (const id of arguments[0]) {
  delete window.__cwSwitch.seen[id];
  delete window.__cwSwitch.played[id];
}
return Date.now();
"""

# What a wall tab recorded for one camera since ``since``: seen, played, and the
# resource timing of the player's token fetch and WHEP POST ([start, responseEnd]).
READ: Final = """
const id = arguments[0], since = arguments[1], rec = window.__cwSwitch;
const origin = performance.timeOrigin;
const entries = performance.getEntriesByType("resource")
  .filter((e) => origin + e.startTime >= since - 2);
const span = (test) => {
  const e = entries.find((x) => test(x.name));
  return e ? [origin + e.startTime, origin + e.responseEnd] : null;
};
const enc = encodeURIComponent(id);
return {
  seen: rec.seen[id] ?? null,
  played: rec.played[id] ?? null,
  token: span((name) => name.endsWith("/video/token?camera=" + enc)),
  whep: span((name) => name.includes("/whep/" + enc + "?")),
};
"""

# The "video alone" baseline: the current cell out, a copy of it for another camera in
# (the markup stays the product's own). camera.js leaves it be (its wall state did not
# change) until the next push.
INJECT: Final = """
const id = arguments[0];
const box = document.querySelector("#tile-main .cw-camera");
const old = box.querySelector(":scope > .cw-camera__cell");
const cell = old.cloneNode(true);
cell.dataset.cameraId = id;
cell.dataset.stream = "main";
cell.dataset.state = "connecting";
delete cell.dataset.frames;
cell.querySelector(".cw-camera__name").textContent = id;
cell.querySelector(".cw-camera__state").textContent = box.dataset.labelConnecting || "";
const t0 = Date.now();
box.querySelectorAll(":scope > .cw-camera__cell").forEach((c) => c.remove());
box.appendChild(cell);
return t0;
"""

# The operator tab: when #console-message changes (the Dash callback's answer).
ACK_RECORDER: Final = """
if (!window.__cwAck) {
  const acks = (window.__cwAck = []);
  let last = null;
  new MutationObserver(() => {
    const el = document.getElementById("console-message");
    const text = el ? el.textContent : null;
    if (text !== last) { last = text; acks.push([Date.now(), text || ""]); }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}
return true;
"""

ACKS: Final = "return window.__cwAck || [];"

# Click the result button in one step (nothing can go stale in between).
CLICK: Final = """
const el = document.querySelector(arguments[0]);
if (!el) return null;
const t = Date.now();
el.click();
return t;
"""
