/* map tile: the e-map (wall/tiles/map.py, docs/map.md).
 *
 * The hub sends four parts: cases (case id → {lat, lon, status, cat, overdue…}),
 * officers (officer id → {lat, lon, status, name, trail}), cameras (camera id →
 * online | offline | unknown) and focus ({alarm: {case_id, lat, lon, until_ms, reason,
 * camera_id}} while the alarm pop-up is on, else {}): the map flies to the case and
 * rings it until the alarm goes (or until_ms passes), then flies back to its view. This file turns them into GeoJSON for the tile's
 * dash-leaflet layers with dash_clientside.set_props, and defines the functions the
 * layers draw with (window.citywallMap.*, named in the layout as {variable: ...}).
 *
 * The map is laid out at the tile's native size and scaled by CSS to the page
 * (citywallLive.scale()): Leaflet measures in CSS pixels, so marker sizes, cluster
 * radius and the extent shown are those of the hall's screens on every page.
 *
 * A click on a case opens its popup (category, status, address, description, channel,
 * photos before and after): DOM nodes with the event's text as textContent and each
 * photo an <img> of its http(s) URL, never HTML built from event strings. The popup is
 * the map's, not the marker's, so it outlives the markers being redrawn; it follows
 * the case on each update and closes when the case leaves the map.
 *
 * For tests and people alike, markers say what they show: data-case-id (unclustered
 * cases), data-cluster-count, data-officer-id with data-lat/data-lon, data-camera-id
 * with data-status, data-focus-case-id (the alarm's ring); the tile element gets
 * data-cases / data-officers / data-cameras = how many it drew, and data-focus = the
 * alarm's case while the map is centred on it. Without an alarm, focus.highlight (a case
 * an operator opened in the console and showed on the wall) is flown to and ringed alike.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});

  // Native pixels: readable from 5 m on a 1920×1080 screen.
  // Online cameras are many and quiet; an offline one is what the hall must notice.
  const SIZE = { case: 36, officer: 26, camera: 14, cameraOffline: 26, clusterMin: 60, clusterMax: 96, focus: 110 };
  const Z = { camera: 10000, officer: 20000, case: 30000, overdue: 35000, cluster: 40000, focus: 50000 };
  const FOCUS_ZOOM = 17; // close enough to see the street the case is on
  // Okabe–Ito, colour-blind safe; the same values as assets/map.css.
  const OFFICER_COLOURS = {
    patrolling: "#009E73",
    handling: "#E69F00",
    idle: "#56B4E9",
    offline: "#8ea3bf",
  };

  /* The Dash ids of the tile's layers, as the server spelled them (data-layer-ids on
   * the tile's .cw-map, from wall/tiles/_map_layout.py): never rebuilt here. */
  function setProps(root, layer, props) {
    const ids = root.__cwLayerIds || (root.__cwLayerIds = JSON.parse(root.dataset.layerIds));
    window.dash_clientside.set_props(ids[layer], props);
  }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  }

  function icon(html, size) {
    // className replaces Leaflet's white "leaflet-div-icon" box.
    return L.divIcon({ html: html, className: "cw-map-icon", iconSize: [size, size] });
  }

  function marker(latlng, html, size, z, interactive) {
    return L.marker(latlng, { icon: icon(html, size), interactive: !!interactive, keyboard: false, zIndexOffset: z });
  }

  function points(part, extra) {
    return Object.keys(part || {})
      .sort()
      .map((key) => {
        const value = part[key];
        return {
          type: "Feature",
          properties: Object.assign({ id: key }, extra ? extra(value) : value),
          geometry: { type: "Point", coordinates: [value.lon, value.lat] },
        };
      });
  }

  function collection(features) {
    return { type: "FeatureCollection", features: features };
  }

  // ── a case's popup ─────────────────────────────────────────────────────
  function node(tag, className, text) {
    const el = document.createElement(tag);
    el.className = className;
    if (text != null) el.textContent = String(text);
    return el;
  }

  function detail(box, name, label, text) {
    if (!text) return;
    const row = node("div", "cw-map-popup__row cw-map-popup__" + name);
    row.append(node("span", "cw-map-popup__label", label), node("span", "cw-map-popup__text", text));
    box.append(row);
  }

  function photos(box, name, label, urls) {
    const safe = (urls || []).filter((url) => /^https?:\/\//i.test(String(url)));
    if (!safe.length) return;
    const row = node("div", "cw-map-popup__photos cw-map-popup__" + name);
    row.append(node("span", "cw-map-popup__label", label));
    safe.forEach((url) => {
      const img = node("img", "cw-map-popup__photo");
      img.referrerPolicy = "no-referrer"; // the business system learns nothing of the wall
      img.alt = label;
      img.src = String(url);
      row.append(img);
    });
    box.append(row);
  }

  /* The popup's content for case p (a feature's properties: id plus its cases entry);
   * the labels are the layout's (data-popup on .cw-map, in the wall's language). */
  function popupContent(root, p) {
    const labels = root.__cwPopupLabels || (root.__cwPopupLabels = JSON.parse(root.dataset.popup || "{}"));
    const box = node("div", "cw-map-popup");
    box.dataset.caseId = p.id;
    box.append(node("div", "cw-map-popup__title", p.category || p.name));
    const status = node("div", "cw-map-popup__status", (labels.statuses || {})[p.status] || p.status);
    status.dataset.status = p.status;
    box.append(status);
    detail(box, "address", labels.address, p.address);
    detail(box, "description", labels.description, p.description);
    detail(box, "channel", labels.channel, p.channel && ((labels.channels || {})[p.channel] || p.channel));
    photos(box, "before", labels.before, p.photos_before);
    photos(box, "after", labels.after, p.photos_after);
    return box;
  }

  /* Above its case, or below it when the map's top edge would cut it off: autoPan is
   * off, as it would move this page's map away from the wall's view. */
  function place(map, popup) {
    const el = popup.getElement();
    if (!el) return;
    const height = el.offsetHeight;
    const y = map.latLngToContainerPoint(popup.getLatLng()).y;
    const below = y < height + SIZE.case + 24 && map.getSize().y - y > y;
    el.classList.toggle("cw-map-popup-box--below", below);
    // Leaflet sets the popup's bottom edge at the case + offset, less its 20 px tip.
    popup.options.offset = L.point(0, below ? height + 20 + SIZE.case / 2 + 6 : -SIZE.case / 2);
    popup.update();
  }

  function openPopup(map, p, latlng) {
    const root = map.getContainer().closest(".cw-map");
    if (!root) return;
    const popup = L.popup({ autoPan: false, maxWidth: 480, maxHeight: 460, className: "cw-map-popup-box" });
    popup.setLatLng(latlng).setContent(popupContent(root, p)).openOn(map);
    place(map, popup);
    root.__cwPopup = { id: p.id, map: map, popup: popup, seen: JSON.stringify(p) };
  }

  /* After an update of the cases part: the open popup shows the case as it is now, or
   * closes when the case has left the map (closed, cancelled, filtered out). */
  function followPopup(tileEl, cases) {
    const root = tileEl.querySelector(".cw-map");
    const open = root && root.__cwPopup;
    if (!open || !open.popup.isOpen()) return;
    const entry = cases[open.id];
    if (!entry) {
      open.popup.close();
      root.__cwPopup = null;
      return;
    }
    const p = Object.assign({ id: open.id }, entry);
    const seen = JSON.stringify(p);
    if (seen === open.seen) return;
    open.seen = seen;
    open.popup.setLatLng([p.lat, p.lon]).setContent(popupContent(root, p));
    place(open.map, open.popup);
  }

  // ── what the layers draw with ──────────────────────────────────────────
  const citywallMap = (window.citywallMap = window.citywallMap || {});

  citywallMap.casePoint = function (feature, latlng, context) {
    const p = feature.properties;
    const glyphs = (context && context.hideout && context.hideout.glyphs) || {};
    const classes = ["cw-map-case", "cw-map-case--" + p.status, "cw-map-case--" + p.kind];
    if (p.overdue) classes.push("cw-map-case--overdue");
    if (p.priority === "urgent") classes.push("cw-map-case--urgent");
    const html =
      '<div class="' + esc(classes.join(" ")) + '" data-case-id="' + esc(p.id) +
      '" data-status="' + esc(p.status) + '" data-cat="' + esc(p.cat) +
      '" data-overdue="' + (p.overdue ? "1" : "0") + '"><span>' + esc(glyphs[p.cat] || "") +
      "</span></div>";
    const m = marker(latlng, html, SIZE.case, p.overdue ? Z.overdue : Z.case, true);
    m.on("click", (event) => {
      const map = (context && context.map) || event.target._map;
      if (map) openPopup(map, p, latlng);
    });
    return m;
  };

  citywallMap.caseCluster = function (feature, latlng, index) {
    const count = feature.properties.point_count;
    let overdue = 0;
    try {
      index.getLeaves(feature.properties.cluster_id, Infinity).forEach((leaf) => {
        if (leaf.properties.overdue) overdue += 1;
      });
    } catch (err) {
      overdue = 0; // a stale cluster id while the data changes: drawn again on the next update
    }
    const size = Math.min(SIZE.clusterMax, SIZE.clusterMin + 12 * Math.log10(count));
    const html =
      '<div class="cw-map-cluster' + (overdue ? " cw-map-cluster--overdue" : "") +
      '" data-cluster-count="' + count + '" data-overdue-count="' + overdue + '"><span>' + count +
      "</span>" + (overdue ? '<b class="cw-map-cluster__overdue">' + overdue + "</b>" : "") + "</div>";
    return marker(latlng, html, size, Z.cluster);
  };

  citywallMap.officerPoint = function (feature, latlng) {
    const p = feature.properties;
    const html =
      '<div class="cw-map-officer cw-map-officer--' + esc(p.status) + '" data-officer-id="' +
      esc(p.id) + '" data-lat="' + p.lat + '" data-lon="' + p.lon + '" data-status="' +
      esc(p.status) + '" title="' + esc(p.name) + '"></div>';
    return marker(latlng, html, SIZE.officer, Z.officer);
  };

  citywallMap.cameraPoint = function (feature, latlng, context) {
    const p = feature.properties;
    const statuses = (context && context.hideout && context.hideout.status) || {};
    const status = statuses[p.id] || "unknown";
    const html =
      '<div class="cw-map-camera cw-map-camera--' + esc(status) + '" data-camera-id="' +
      esc(p.id) + '" data-status="' + esc(status) + '" title="' + esc(p.name) + '"></div>';
    const size = status === "offline" ? SIZE.cameraOffline : SIZE.camera;
    return marker(latlng, html, size, status === "offline" ? Z.officer - 1 : Z.camera);
  };

  /* The alarm's case: a ring that stays and one that pulses out of it (the keyframes
   * are assets/map.css's cw-map-pulse), drawn over every other marker. */
  citywallMap.focusPoint = function (feature, latlng) {
    const p = feature.properties;
    // An alarm rings vermillion; a case an operator shows from the console, sky blue.
    const colour = p.reason === "highlight" ? "var(--oi-sky, #56B4E9)" : "var(--oi-vermillion, #D55E00)";
    const ring =
      "position:absolute;inset:0;border-radius:50%;box-sizing:border-box;" +
      "border:6px solid " + colour + ";";
    const html =
      '<div class="cw-map-focus" data-focus-case-id="' + esc(p.id) + '" data-reason="' +
      esc(p.reason) + '" style="position:relative;width:100%;height:100%;pointer-events:none">' +
      '<div style="' + ring + 'box-shadow:0 0 0 3px rgba(0,0,0,0.6),inset 0 0 0 3px rgba(0,0,0,0.6)"></div>' +
      '<div style="' + ring + 'animation:cw-map-pulse 1.6s ease-out infinite"></div></div>';
    return marker(latlng, html, SIZE.focus, Z.focus);
  };

  citywallMap.trailStyle = function (feature) {
    return {
      color: OFFICER_COLOURS[feature.properties.status] || OFFICER_COLOURS.offline,
      weight: 4,
      opacity: 0.5,
      lineCap: "round",
      lineJoin: "round",
    };
  };

  citywallMap.gridStyle = function (feature, context) {
    const selected = (context && context.hideout && context.hideout.selected) || [];
    if (selected.includes(feature.properties.code)) {
      return { color: "#4cc3ff", weight: 5, opacity: 0.9, fill: true, fillColor: "#4cc3ff", fillOpacity: 0.07 };
    }
    return { color: "#8ea3bf", weight: 2, opacity: 0.45, dashArray: "10 8", fill: false };
  };

  citywallMap.roadStyle = function () {
    return { color: "#2a4668", weight: 9, opacity: 0.9, lineCap: "round", lineJoin: "round" };
  };

  citywallMap.waterStyle = function () {
    return { color: "#1b5f8c", weight: 2, opacity: 0.8, fillColor: "#0c3352", fillOpacity: 0.85 };
  };

  function label(layer, text, kind, direction, at) {
    layer.bindTooltip(esc(text), {
      permanent: true,
      direction: direction || "center",
      className: "cw-map-label cw-map-label--" + kind,
      pane: "shadowPane", // under the markers, over the vectors
      opacity: 1,
      interactive: false,
    });
    // Leaflet opens a permanent tooltip at the layer's centre when it is added; move it.
    if (at) layer.on("add", () => layer.openTooltip(at));
  }

  /* A road's name at its outer end, outside the street grid where it cannot collide:
   * west of an east-west road, under a north-south one (written vertically). */
  function roadEnd(coordinates) {
    const first = coordinates[0];
    const last = coordinates[coordinates.length - 1];
    const dx = Math.abs(last[0] - first[0]) * Math.cos((first[1] * Math.PI) / 180);
    const dy = Math.abs(last[1] - first[1]);
    if (dx >= dy) {
      const west = first[0] <= last[0] ? first : last;
      return { at: L.latLng(west[1], west[0]), direction: "left", kind: "road" };
    }
    const south = first[1] <= last[1] ? first : last;
    return { at: L.latLng(south[1], south[0]), direction: "bottom", kind: "road cw-map-label--vertical" };
  }

  // A grid's code in its north-west corner (430624-0203 → 02-03), clear of the streets.
  citywallMap.gridLabel = function (feature, layer) {
    const match = /^\d{6}-(\d\d)(\d\d)$/.exec(feature.properties.code || "");
    const bounds = layer.getBounds();
    const corner = L.latLng(bounds.getNorth(), bounds.getWest());
    label(layer, match ? match[1] + "-" + match[2] : feature.properties.code, "grid", "right", corner);
  };

  citywallMap.roadLabel = function (feature, layer) {
    const name = feature.properties.name;
    if (!name) return;
    const geometry = feature.geometry;
    if (geometry.type === "LineString" && geometry.coordinates.length > 1) {
      const end = roadEnd(geometry.coordinates);
      label(layer, name, end.kind, end.direction, end.at);
    } else {
      label(layer, name, "road");
    }
  };

  // ── native size, scaled to the page ───────────────────────────────────
  function fit(root) {
    const stage = root.querySelector(".cw-map__stage");
    const box = root.getBoundingClientRect(); // fractional, unlike clientWidth
    if (!stage || !box.width || !box.height) return;
    const scale = (window.citywallLive && window.citywallLive.scale()) || 1;
    const width = Math.round(box.width / scale);
    const height = Math.round(box.height / scale);
    const key = width + "x" + height + "@" + scale.toFixed(5);
    if (stage.dataset.fit === key) return;
    stage.style.width = width + "px";
    stage.style.height = height + "px";
    stage.style.transform = "scale(" + scale + ")";
    stage.dataset.fit = key;
    setProps(root, "view", { invalidateSize: key });
  }

  const resized = new ResizeObserver((entries) => entries.forEach((entry) => fit(entry.target)));
  function watch() {
    document.querySelectorAll(".cw-map").forEach((root) => {
      if (root.__cwMapWatched) return;
      root.__cwMapWatched = true;
      resized.observe(root);
      fit(root);
    });
  }
  new MutationObserver(watch).observe(document.documentElement, { childList: true, subtree: true });

  // ── live parts → layers ───────────────────────────────────────────────
  /* Send a layer's props, and send them once more when the part has been quiet for
   * SETTLE_MS. dash-leaflet's GeoJSON ignores a data change that lands while it is
   * still loading the previous one, and nothing else would repair that until the
   * part changes again (cases may be quiet for long at night). */
  const SETTLE_MS = 2000;
  function send(tileEl, layer, props) {
    const root = tileEl.querySelector(".cw-map");
    if (!root) return;
    setProps(root, layer, props);
    const timers = (tileEl.__cwMapSettle = tileEl.__cwMapSettle || {});
    clearTimeout(timers[layer]);
    timers[layer] = setTimeout(() => {
      if (!tileEl.isConnected) return;
      const again = {};
      Object.keys(props).forEach((key) => (again[key] = Object.assign({}, props[key])));
      setProps(root, layer, again); // new objects: dash-leaflet compares by identity
    }, SETTLE_MS);
  }

  // ── the alarm's case (focus part) ─────────────────────────────────────
  function serverNow() {
    // live.js keeps the server's clock offset (until_ms is the server's time).
    return Date.now() + ((window.citywallLive && window.citywallLive.serverOffsetMs) || 0);
  }

  function home(tileEl) {
    const root = tileEl.querySelector(".cw-map");
    if (!root || !root.dataset.center) return null;
    const center = root.dataset.center.split(",").map(Number);
    const zoom = Number(root.dataset.zoom);
    return center.length === 2 && center.every(isFinite) && isFinite(zoom) ? { center: center, zoom: zoom } : null;
  }

  function flyTo(tileEl, center, zoom) {
    const viewport = { center: center, zoom: zoom, transition: "flyTo", options: { duration: 1.5 } };
    const root = tileEl.querySelector(".cw-map");
    if (root) setProps(root, "view", { viewport: viewport });
  }

  function focus(tileEl, alarm) {
    clearTimeout(tileEl.__cwFocusTimer);
    const left = alarm ? alarm.until_ms - serverNow() : 0;
    if (alarm && left > 0) {
      const key = alarm.case_id + "@" + alarm.until_ms;
      if (tileEl.__cwFocus !== key) flyTo(tileEl, [alarm.lat, alarm.lon], FOCUS_ZOOM);
      tileEl.__cwFocus = key;
      const ring = {};
      ring[alarm.case_id] = { lat: alarm.lat, lon: alarm.lon, reason: alarm.reason };
      send(tileEl, "focus", { data: collection(points(ring)) });
      tileEl.dataset.focus = alarm.case_id;
      // Gone at until_ms even if no update says so (the server drops it on its next build).
      tileEl.__cwFocusTimer = setTimeout(() => tileEl.isConnected && focus(tileEl, null), left);
      return;
    }
    send(tileEl, "focus", { data: collection([]) });
    delete tileEl.dataset.focus;
    if (tileEl.__cwFocus) {
      tileEl.__cwFocus = null;
      const view = home(tileEl);
      if (view) flyTo(tileEl, view.center, view.zoom);
    }
  }

  renderers.map = function (tileEl, state, changed) {
    const started = performance.now();
    if (changed.has("cases")) {
      const features = points(state.cases);
      send(tileEl, "cases", { data: collection(features) });
      tileEl.dataset.cases = String(features.length);
      followPopup(tileEl, state.cases || {});
    }
    if (changed.has("officers")) {
      const officers = state.officers || {};
      const features = points(officers, (o) => ({ lat: o.lat, lon: o.lon, status: o.status, name: o.name }));
      const trails = Object.keys(officers)
        .sort()
        .filter((key) => (officers[key].trail || []).length > 1)
        .map((key) => ({
          type: "Feature",
          properties: { id: key, status: officers[key].status },
          geometry: { type: "LineString", coordinates: officers[key].trail.map((p) => [p[1], p[0]]) },
        }));
      send(tileEl, "officers", { data: collection(features) });
      send(tileEl, "trails", { data: collection(trails) });
      tileEl.dataset.officers = String(features.length);
    }
    if (changed.has("cameras")) {
      const statuses = Object.assign({}, state.cameras || {});
      send(tileEl, "cameras", { hideout: { status: statuses } });
      tileEl.dataset.cameras = String(Object.keys(statuses).length);
      tileEl.dataset.camerasOffline = String(Object.values(statuses).filter((s) => s === "offline").length);
    }
    if (changed.has("focus")) {
      const shown = state.focus || {};
      focus(tileEl, shown.alarm || shown.highlight || null);
    }
    tileEl.dataset.drawMs = (performance.now() - started).toFixed(1);
  };
})();
