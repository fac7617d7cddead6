/* /console: the console map's cameras. Unlike the wall's e-map (looked at, never
 * touched), these are for clicking: a click puts the camera in the selected cell
 * (dash-leaflet reports the feature as the layer's clickData). */
(function () {
  "use strict";
  const COLOURS = { online: "#009E73", offline: "#D55E00", connecting: "#E69F00" };

  window.citywallConsole = {
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
  };
})();
