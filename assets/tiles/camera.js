/* citywall camera tiles: which cameras the cells show, as the wall state says.
 *
 * The live part "view" carries the tile's cells, a running tour (name, cameras,
 * dwell, start) and the alarm pop-up when it has this tile. A tour needs nobody to
 * turn it: the camera shown is a function of the server's time since the tour
 * started, so every screen shows the same one. The cells are swapped here;
 * camera_player.js notices new cells and plays them. A cell whose camera stays is
 * kept, so it does not blink.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  const TICK_MS = 200;

  function serverNow() {
    const live = window.citywallLive || {};
    return Date.now() + (live.serverOffsetMs || 0);
  }

  function tourCameras(tour, cells, now) {
    const count = tour.cameras.length;
    const step = Math.max(0, Math.floor((now - tour.started_ms) / Math.max(1, Math.round(tour.dwell_s * 1000))));
    const pages = Math.max(1, Math.ceil(count / cells));
    const first = (step % pages) * cells;
    const shown = [];
    for (let cell = 0; cell < cells; cell++) shown.push(tour.cameras[(first + cell) % count]);
    return { cameras: shown, step: (step % pages) + 1, pages: pages };
  }

  function wanted(view, box, now) {
    const alarm = view.alarm && now < view.alarm.until_ms ? view.alarm : null;
    const mode = box.dataset.streamMode || "auto";
    const cells = view.cells || [];
    if (alarm && alarm.camera_id) {
      return { cameras: [alarm.camera_id], stream: mode === "auto" ? "main" : mode, alarm: alarm };
    }
    if (view.tour) {
      const turn = tourCameras(view.tour, cells.length, now);
      return { cameras: turn.cameras, stream: view.stream, alarm: alarm, tour: turn };
    }
    return { cameras: cells, stream: view.stream, alarm: alarm };
  }

  function newCell(box, cameraId, name, stream) {
    const cell = document.createElement("div");
    cell.className = "cw-camera__cell";
    cell.dataset.cameraId = cameraId;
    cell.dataset.stream = stream;
    cell.dataset.state = "connecting";
    const video = document.createElement("video");
    video.className = "cw-camera__video";
    video.muted = true;
    video.autoplay = true;
    const label = document.createElement("div");
    label.className = "cw-camera__name";
    label.textContent = name || cameraId;
    const state = document.createElement("div");
    state.className = "cw-camera__state";
    state.textContent = box.dataset.labelConnecting;
    cell.append(video, label, state);
    return cell;
  }

  function swapCells(box, want, names) {
    const key = want.cameras.join(",") + "|" + want.stream;
    if (box.dataset.showing === key) return;
    const spare = Array.from(box.querySelectorAll(":scope > .cw-camera__cell"));
    const take = (test) => {
      const index = spare.findIndex(test);
      return index >= 0 ? spare.splice(index, 1)[0] : null;
    };
    // A cell already showing the camera stays; else a cell of the same stream is
    // switched to it (one relay request, the old picture until the new one is there);
    // else a new cell is made.
    const cells = want.cameras.map((cameraId) =>
      take((c) => c.dataset.cameraId === cameraId && c.dataset.stream === want.stream)
    );
    want.cameras.forEach((cameraId, index) => {
      if (cells[index]) return;
      const reused = take((c) => c.dataset.stream === want.stream && !want.cameras.includes(c.dataset.cameraId));
      if (reused) {
        reused.querySelector(".cw-camera__name").textContent = names[cameraId] || cameraId;
        if (window.citywallCamera) window.citywallCamera.retarget(reused, cameraId);
        else reused.dataset.cameraId = cameraId;
        cells[index] = reused;
      } else {
        cells[index] = newCell(box, cameraId, names[cameraId], want.stream);
      }
    });
    spare.forEach((cell) => cell.remove());
    cells.forEach((cell, index) => {
      if (box.children[index] !== cell) box.insertBefore(cell, box.children[index] || null);
    });
    box.style.setProperty("--side", String(Math.round(Math.sqrt(cells.length)) || 1));
    box.dataset.showing = key;
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
    const reason = alarm.reason === "video" ? box.dataset.labelVideo : box.dataset.labelUrgent;
    const where = alarm.camera_id
      ? box.dataset.labelDistance.replace("{m}", String(Math.round(alarm.distance_m || 0)))
      : box.dataset.labelNoCamera;
    const text = ["⚠ " + reason, alarm.case_id, alarm.category, alarm.grid, where]
      .filter(Boolean)
      .join(" · ");
    if (el.textContent !== text) el.textContent = text;
    tileEl.dataset.alarm = alarm.case_id;
  }

  function tourBadge(tileEl, box, tour, name) {
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
    const text = box.dataset.labelTour + " · " + name + " · " + tour.step + "/" + tour.pages;
    if (el.textContent !== text) el.textContent = text;
    tileEl.dataset.tour = name;
  }

  const WARM_AHEAD_MS = 2500; // before a tour's next step, its cameras start at the relay

  function warmNextStep(tileEl, box, view, now) {
    const tour = view.tour;
    if (!tour || !window.citywallCamera) return;
    const dwell = Math.max(1, Math.round(tour.dwell_s * 1000));
    const elapsed = now - tour.started_ms;
    const next = Math.floor(elapsed / dwell) + 1;
    if (next * dwell - elapsed > WARM_AHEAD_MS || tileEl.__cwWarmed === next) return;
    tileEl.__cwWarmed = next;
    const upcoming = tourCameras(tour, view.cells.length, tour.started_ms + next * dwell);
    const showing = (box.dataset.showing || "").split("|")[0].split(",");
    upcoming.cameras
      .filter((cameraId) => !showing.includes(cameraId))
      .forEach((cameraId) => window.citywallCamera.warm(box.dataset.relay, cameraId, view.stream));
  }

  function refresh(tileEl) {
    const view = tileEl.__cwCameraView;
    const box = tileEl.querySelector(".cw-camera");
    if (!view || !box || !view.cells) return;
    const now = serverNow();
    const want = wanted(view, box, now);
    swapCells(box, want, view.names || {});
    if (!want.alarm) warmNextStep(tileEl, box, view, now);
    banner(tileEl, box, want.alarm);
    tourBadge(tileEl, box, want.alarm && want.alarm.camera_id ? null : want.tour,
      view.tour ? view.tour.name : "");
  }

  renderers.camera = function (tileEl, state) {
    tileEl.__cwCameraView = state.view || {};
    refresh(tileEl);
  };

  setInterval(() => {
    document.querySelectorAll(".cw-tile--camera").forEach((tileEl) => {
      if (tileEl.__cwCameraView) refresh(tileEl);
    });
  }, TICK_MS);
})();
