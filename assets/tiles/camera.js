/* camera tile: draws the live part "view" (wall/ui/camera_box.py, CameraViewJson).
 *
 * The server decides what the cells show — the alarm over a tour over the operators'
 * pick, the tour's step included — and what they show next (view.next: each coming
 * change with its time); the hub pushes each change when it comes. This file only
 * swaps the cells it is told to show (camera_player.js plays them), writes the alarm
 * banner and the tour badge, warms a step's cameras at the relay shortly before it,
 * and applies the steps at their time itself when no push came (Redis or the event
 * stream away: a tour keeps turning, an alarm still ends). New cells are clones of
 * the server's template cell (.cw-camera__template): the markup is built in one place.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  const WARM_AHEAD_MS = 2500; // a tour's next cameras start at the relay this early

  function serverNow() {
    const live = window.citywallLive || {};
    return Date.now() + (live.serverOffsetMs || 0);
  }

  function newCell(tileEl, box, cameraId, name, stream) {
    const cell = tileEl.querySelector(".cw-camera__template > .cw-camera__cell").cloneNode(true);
    cell.dataset.cameraId = cameraId;
    cell.dataset.stream = stream;
    cell.querySelector(".cw-camera__name").textContent = name || cameraId;
    return cell;
  }

  function swapCells(tileEl, box, view) {
    const cameras = view.cells.map((c) => c.camera);
    const names = {};
    view.cells.forEach((c) => (names[c.camera] = c.name));
    const key = cameras.join(",") + "|" + view.stream;
    if (box.dataset.showing === key) return;
    const spare = Array.from(box.querySelectorAll(":scope > .cw-camera__cell"));
    const take = (test) => {
      const index = spare.findIndex(test);
      return index >= 0 ? spare.splice(index, 1)[0] : null;
    };
    // A cell already showing the camera stays; else a cell of the same stream is
    // switched to it (one relay request, the old picture until the new one is there);
    // else a new cell is made.
    const cells = cameras.map((cameraId) =>
      take((c) => c.dataset.cameraId === cameraId && c.dataset.stream === view.stream)
    );
    cameras.forEach((cameraId, index) => {
      if (cells[index]) return;
      const reused = take((c) => c.dataset.stream === view.stream && !cameras.includes(c.dataset.cameraId));
      if (reused) {
        reused.querySelector(".cw-camera__name").textContent = names[cameraId] || cameraId;
        if (window.citywallCamera) window.citywallCamera.retarget(reused, cameraId);
        else reused.dataset.cameraId = cameraId;
        cells[index] = reused;
      } else {
        cells[index] = newCell(tileEl, box, cameraId, names[cameraId], view.stream);
      }
    });
    spare.forEach((cell) => cell.remove());
    cells.forEach((cell, index) => {
      if (box.children[index] !== cell) box.insertBefore(cell, box.children[index] || null);
    });
    box.style.setProperty("--side", String(Math.round(Math.sqrt(cells.length)) || 1));
    box.dataset.showing = key;
  }

  /* The banner's words, shared with the console (console.js): reason · case · category
   * · grid · distance (or "no online camera nearby"). */
  function bannerText(alarm, labels) {
    const reason = alarm.reason === "video" ? labels.labelVideo : labels.labelUrgent;
    const where = alarm.camera_id
      ? labels.labelDistance.replace("{m}", String(Math.round(alarm.distance_m || 0)))
      : labels.labelNoCamera;
    return ["⚠ " + reason, alarm.case_id, alarm.category, alarm.grid, where].filter(Boolean).join(" · ");
  }

  function banner(tileEl, box, alarm) {
    let el = tileEl.querySelector(".cw-camera__alarm");
    if (!alarm) {
      if (el) el.remove();
      delete tileEl.dataset.alarm;
      return;
    }
    if (!el) {
      el = document.createElement("div");
      el.className = "cw-camera__alarm";
      el.setAttribute("role", "alert");
      tileEl.appendChild(el);
    }
    const text = bannerText(alarm, box.dataset);
    if (el.textContent !== text) el.textContent = text;
    tileEl.dataset.alarm = alarm.case_id;
  }

  function tourBadge(tileEl, box, tour) {
    let el = tileEl.querySelector(".cw-camera__tour");
    if (!tour) {
      if (el) el.remove();
      delete tileEl.dataset.tour;
      return;
    }
    if (!el) {
      el = document.createElement("div");
      el.className = "cw-camera__tour";
      tileEl.appendChild(el);
    }
    const text = box.dataset.labelTour + " · " + tour.name + " · " + tour.step + "/" + tour.pages;
    if (el.textContent !== text) el.textContent = text;
    tileEl.dataset.tour = tour.name;
  }

  function warm(box, cameraIds, stream) {
    if (!window.citywallCamera) return;
    cameraIds.forEach((id) => window.citywallCamera.warm(box.dataset.relay, id, stream));
  }

  /* Run draw(step) at each coming step's time (the server's clock) and call
   * before(step, shownBefore) WARM_AHEAD_MS earlier; a new push replaces the plan. */
  function schedule(el, view, draw, before) {
    (el.__cwSteps || []).forEach(clearTimeout);
    const timers = [];
    let shown = view.cells.map((c) => c.camera);
    (view.next || []).forEach((step) => {
      const due = step.at_ms - serverNow();
      const previous = shown;
      if (before) timers.push(setTimeout(() => before(step, previous), Math.max(0, due - WARM_AHEAD_MS)));
      timers.push(setTimeout(() => el.isConnected && draw(step), Math.max(0, due)));
      shown = step.cells.map((c) => c.camera);
    });
    el.__cwSteps = timers;
  }

  function draw(tileEl, view) {
    const box = tileEl.querySelector(".cw-camera");
    if (!box || !view || !view.cells) return;
    swapCells(tileEl, box, view);
    banner(tileEl, box, view.alarm || null);
    tourBadge(tileEl, box, view.tour || null);
  }

  renderers.camera = function (tileEl, state) {
    const view = state.view;
    const box = tileEl.querySelector(".cw-camera");
    if (!box || !view || !view.cells) return;
    draw(tileEl, view);
    schedule(tileEl, view, (step) => draw(tileEl, step), (step, shown) =>
      warm(box, step.cells.map((c) => c.camera).filter((id) => !shown.includes(id)), step.stream)
    );
  };

  window.citywallCameraTile = { bannerText: bannerText, schedule: schedule };
})();
