/* /console in the browser: the miniature of the wall, the selection, the alarm banner,
 * and the console map's cameras.
 *
 * The miniature's camera tiles are live elements (data-renderer "console-mini") fed by
 * live.js with the same live part "view" the wall's screens get (CameraViewJson), so
 * the console shows what the wall shows, when the wall shows it, with no polling. A
 * click on a cell selects it: written to the Dash store named by #console's
 * data-selected-store, which the console's callbacks read. Ids and words come from
 * #console's data attributes (layouts/console_page.py), never spelled here.
 */
(function () {
  "use strict";
  const renderers = (window.citywallRenderers = window.citywallRenderers || {});
  const COLOURS = { online: "#009E73", offline: "#D55E00", connecting: "#E69F00" };
  let selected = null; // {tile, cell}, as the store holds it

  function root() {
    return document.querySelector(".cw-console");
  }

  function byId(name) {
    const el = root();
    return el ? document.getElementById(el.dataset[name]) : null;
  }

  function miniBoxes() {
    const el = root();
    return el ? Array.from(el.querySelectorAll('[data-renderer="console-mini"]')) : [];
  }

  function views() {
    const found = {};
    miniBoxes().forEach((box) => {
      if (box.__cwView) found[box.dataset.tileId] = box.__cwView;
    });
    return found;
  }

  function drawCells(box, view) {
    const cells = box.querySelector(".cw-mini__cells");
    const wanted = view.cells.map((c) => c.camera + "|" + c.name).join(",");
    if (cells.dataset.drawn !== wanted) {
      cells.replaceChildren(
        ...view.cells.map((c, index) => {
          const cell = document.createElement("div");
          cell.className = "cw-mini__cell";
          cell.textContent = c.name;
          cell.title = c.camera;
          cell.dataset.camera = c.camera;
          cell.dataset.cell = String(index);
          cell.addEventListener("click", () => select({ tile: box.dataset.tileId, cell: index }));
          return cell;
        })
      );
      cells.dataset.drawn = wanted;
    }
    cells.style.setProperty("--side", String(Math.round(Math.sqrt(view.cells.length)) || 1));
    box.dataset.showing = view.cells.map((c) => c.camera).join(",");
  }

  function drawTitle(box, view) {
    let badge = "";
    if (view.alarm && view.alarm.camera_id) badge = "⚠ " + view.alarm.case_id;
    else if (view.tour) badge = "⟳ " + view.tour.name;
    const text = (box.dataset.title + " " + badge).trim();
    const title = box.querySelector(".cw-mini__title");
    if (title.textContent !== text) title.textContent = text;
    box.dataset.tour = view.tour ? view.tour.name : "";
    box.classList.toggle("cw-mini__tile--alarm", Boolean(view.alarm && view.alarm.camera_id));
  }

  function highlight() {
    miniBoxes().forEach((box) => {
      const mine = selected && selected.tile === box.dataset.tileId;
      box.classList.toggle("cw-mini__tile--selected", Boolean(mine));
      box.querySelectorAll(".cw-mini__cell").forEach((cell) => {
        cell.classList.toggle("cw-mini__cell--selected", Boolean(mine && Number(cell.dataset.cell) === selected.cell));
      });
    });
    const el = root();
    const text = byId("selectionId");
    if (!el || !text) return;
    const view = selected ? views()[selected.tile] : null;
    let words = el.dataset.labelSelectTile;
    if (view && view.cells.length) {
      const cell = Math.min(selected.cell, view.cells.length - 1);
      words = el.dataset.labelSelected
        .replace("{tile}", selected.tile)
        .replace("{cell}", String(cell + 1))
        .replace("{camera}", view.cells[cell].camera);
    }
    if (text.textContent !== words) text.textContent = words;
  }

  function select(choice) {
    selected = choice;
    highlight();
    window.dash_clientside.set_props(root().dataset.selectedStore, { data: choice });
  }

  /* The alarm on any camera tile: its banner and the acknowledge button. */
  function drawAlarm() {
    const el = root();
    const banner = byId("alarmBannerId");
    if (!el || !banner) return;
    const alarm = Object.values(views()).map((v) => v.alarm).find(Boolean) || null;
    const caseId = alarm ? alarm.case_id : null;
    // Redrawn when anything the banner says changes (a case raised again elsewhere too).
    const key = alarm ? JSON.stringify([alarm.case_id, alarm.camera_id, alarm.reason, alarm.until_ms]) : "";
    if (el.__cwAlarm === key) return;
    el.__cwAlarm = key;
    const bannerText = window.citywallCameraTile ? window.citywallCameraTile.bannerText : null;
    banner.textContent = alarm && bannerText ? bannerText(alarm, el.dataset) : "";
    banner.dataset.case = caseId || "";
    window.dash_clientside.set_props(el.dataset.alarmStore, { data: caseId });
    window.dash_clientside.set_props(el.dataset.alarmAck, { hidden: !alarm });
  }

  function drawMini(box, view) {
    box.__cwView = view;
    drawCells(box, view);
    drawTitle(box, view);
    highlight();
    drawAlarm();
  }

  renderers["console-mini"] = function (box, state) {
    const view = state.view;
    if (!view || !view.cells) return;
    drawMini(box, view);
    // The coming steps, at their time, if no push says so first (as the wall does).
    const tile = window.citywallCameraTile;
    if (tile) tile.schedule(box, view, (step) => drawMini(box, step));
  };

  window.citywallConsole = {
    // The server chose the selection (the next cell after a pick): show it.
    showSelected: function (choice) {
      if (choice && (!selected || choice.tile !== selected.tile || choice.cell !== selected.cell)) {
        selected = choice;
        highlight();
      }
      return Date.now();
    },
    // The console map's cameras are for clicking (dash-leaflet reports the feature as
    // the layer's clickData); unlike the wall's e-map, which is only looked at.
    cameraPoint: function (feature, latlng, context) {
      const p = feature.properties;
      const statuses = (context && context.hideout && context.hideout.status) || {};
      const colour = COLOURS[statuses[p.id]] || "#8ea3bf";
      const marker = L.circleMarker(latlng, {
        radius: 7, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9,
        className: "cw-console-cam cw-console-cam--" + p.id, // found by tests, styled by CSS
      });
      marker.bindTooltip(p.id + " " + p.name, { direction: "top" });
      return marker;
    },
    /* A case of the case list: a square (cameras are circles), vermillion when urgent. */
    casePoint: function (feature, latlng) {
      const p = feature.properties;
      const colour = p.urgent ? "#D55E00" : p.status === "closed" ? "#009E73" : "#E69F00";
      const marker = L.marker(latlng, {
        icon: L.divIcon({
          className: "cw-console-case cw-console-case--" + p.id,
          html: '<div style="width:12px;height:12px;background:' + colour + ';border:2px solid #fff"></div>',
          iconSize: [16, 16],
        }),
        zIndexOffset: 1000,
      });
      marker.bindTooltip(p.id, { direction: "top" });
      return marker;
    },
  };
})();
