/* The map page: OCHA ADM1 outlines as the offline base map (an optional tile server on top), the
   zone versions valid on the chosen date, and every visible incident as clustered markers coloured
   by verdict. Points come as compact arrays from /api/v1/incidents/points and are added to
   Leaflet.markercluster with chunkedLoading, so 100,000 of them keep the page responsive. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var started = performance.now();
  var stats = { points: 0, fetchMs: 0, buildMs: 0, totalMs: 0 };
  window.truceMap = stats;

  var map = L.map(el, { preferCanvas: true, maxZoom: 18, minZoom: 4 });
  // the initial view frames what the deployment's data covers (its countries, zones and incidents)
  var b = (el.getAttribute("data-bounds") || "").split(",").map(Number);
  if (b.length === 4 && b.every(isFinite)) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); } else { map.setView([20, 30], 4); }
  window.truceLeaflet = map;
  var tileUrl = el.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 18, attribution: "&copy; tile server" }).addTo(map);
  }

  function text(tag, value, cls) {
    var n = document.createElement(tag);
    n.textContent = value;
    if (cls) { n.className = cls; }
    return n;
  }

  fetch(el.getAttribute("data-admin-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      L.geoJSON(fc, {
        interactive: false,
        style: { color: "#8a8a8a", weight: 1, fillColor: "#f3f1ec", fillOpacity: tileUrl ? 0 : 1 }
      }).addTo(map).bringToBack();
      el.setAttribute("data-areas", String((fc.features || []).length));
    })
    .catch(function () { /* the base map is optional */ });

  var zoneColours = ["#1f4e8c", "#6a3d9a", "#00796b", "#b15928", "#33691e", "#ad1457"];
  fetch(el.getAttribute("data-zones-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var i = 0;
      L.geoJSON(fc, {
        style: function () { var c = zoneColours[i++ % zoneColours.length]; return { color: c, weight: 2, fillOpacity: 0.06 }; },
        onEachFeature: function (f, layer) {
          var p = f.properties || {};
          var box = document.createElement("div");
          box.appendChild(text("strong", p.zone + " " + (p.local_name || p.name || "")));
          box.appendChild(text("div", "v" + p.version + ": " + (p.valid_from || "") + " → " + (p.valid_to || "")));
          if (p.approximate) { box.appendChild(text("div", el.getAttribute("data-label-approximate") || "approximate", "note")); }
          layer.bindTooltip(box, { sticky: true });
        }
      }).addTo(map);
      el.setAttribute("data-zones", String((fc.features || []).length));
    })
    .catch(function () {});

  var verdicts = ["pending", "verified", "not_verified", "disputed"];
  var icons = {};
  function icon(code) {
    var v = verdicts[code] || "pending";
    if (!icons[v]) { icons[v] = L.divIcon({ className: "mk v-" + v, iconSize: [10, 10] }); }
    return icons[v];
  }
  var status = document.getElementById("map-status");
  var label = el.getAttribute("data-label-loaded") || "incidents";
  var clusters = L.markerClusterGroup({
    chunkedLoading: true,
    chunkInterval: 120,
    chunkDelay: 20,
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    removeOutsideVisibleBounds: true,
    chunkProgress: function (done, total) {
      if (!total) { return; }  // the group's own empty pass when it is added to the map
      if (status) { status.textContent = done + " / " + total; }
      if (done === total) {
        stats.totalMs = Math.round(performance.now() - started);
        stats.buildMs = stats.totalMs - stats.fetchMs;
        el.setAttribute("data-loaded", String(total));
        if (status) { status.textContent = total + " " + label; }
      }
    }
  });
  map.addLayer(clusters);

  function popup(id) {
    var box = document.createElement("div");
    var a = text("a", (el.getAttribute("data-label-incident") || "Incident") + " #" + id);
    a.href = "/incidents/" + id;
    box.appendChild(a);
    return box;
  }

  fetch(el.getAttribute("data-points-url"), { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      stats.fetchMs = Math.round(performance.now() - started);
      var pts = data.points || [];
      stats.points = pts.length;
      if (!pts.length) {
        el.setAttribute("data-loaded", "0");
        if (status) { status.textContent = "0 " + label; }
        return;
      }
      var markers = new Array(pts.length);
      for (var k = 0; k < pts.length; k++) {
        var p = pts[k];
        var m = L.marker([p[1], p[2]], { icon: icon(p[3]), keyboard: false });
        m.incidentId = p[0];
        markers[k] = m;
      }
      clusters.on("click", function (e) {
        var id = e.layer && e.layer.incidentId;
        if (id) { L.popup().setLatLng(e.latlng).setContent(popup(id)).openOn(map); }
      });
      clusters.addLayers(markers);
    })
    .catch(function (err) {
      if (status) { status.textContent = String(err); }
      el.setAttribute("data-loaded", "error");
    });
})();
