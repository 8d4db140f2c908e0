/* The report form: pick the point on the map or type a place name (gazetteer suggestions), keep a
   draft on the device while the connection is down, and submit once: the client-made UUID
   (client_id) stays with the draft, so sending it again is recognised as the same report. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var KEY = "truce-report-draft";
  var statusEl = document.getElementById("draft-status");
  var resultEl = document.getElementById("report-result");
  var sending = false;
  var pending = false;

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function say(el, text, cls) { el.textContent = text; el.className = cls || ""; }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (e) {
      return e.name && e.type !== "file" && e.name !== "csrf" && e.type !== "submit";
    });
  }
  function save() {
    var d = { pending: pending };
    fields().forEach(function (e) { d[e.name] = e.value; });
    try { localStorage.setItem(KEY, JSON.stringify(d)); } catch (err) { /* storage full or off */ }
  }
  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(KEY); } catch (err) { return; }
    if (!raw) { return; }
    var d;
    try { d = JSON.parse(raw); } catch (err) { return; }
    fields().forEach(function (e) { if (d[e.name] !== undefined) { e.value = d[e.name]; } });
    pending = !!d.pending;
    say(statusEl, msg("restored"), "note");
  }
  function clear() {
    try { localStorage.removeItem(KEY); } catch (err) { /* ignore */ }
  }

  // --- the map picker -------------------------------------------------------------------------
  var lat = form.elements.lat, lon = form.elements.lon, prec = form.elements.location_precision;
  var pick = document.getElementById("pick-map");
  var map = null, marker = null;
  function place(la, lo, zoom) {
    if (!map) { return; }
    var ll = L.latLng(la, lo);
    if (!marker) { marker = L.circleMarker(ll, { radius: 8, color: "#c0392b" }).addTo(map); } else { marker.setLatLng(ll); }
    if (zoom) { map.setView(ll, Math.max(map.getZoom(), 9)); }
  }
  if (pick && window.L) {
    map = L.map(pick, { maxZoom: 18 });
    var b = (pick.getAttribute("data-bounds") || "").split(",").map(Number);
    if (b.length === 4 && b.every(isFinite)) { map.fitBounds([[b[1], b[0]], [b[3], b[2]]]); } else { map.setView([20, 30], 3); }
    var tileUrl = pick.getAttribute("data-tile-url");
    if (tileUrl) { L.tileLayer(tileUrl, { maxZoom: 18 }).addTo(map); }
    fetch(pick.getAttribute("data-admin-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        L.geoJSON(fc, { interactive: false, style: { color: "#8a8a8a", weight: 1, fillColor: "#f3f1ec", fillOpacity: tileUrl ? 0 : 1 } }).addTo(map);
      }).catch(function () {});
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5);
      lon.value = e.latlng.lng.toFixed(5);
      prec.value = "exact";
      place(e.latlng.lat, e.latlng.lng, false);
      save();
    });
  }
  function fromInputs() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!isNaN(la) && !isNaN(lo)) { place(la, lo, false); }
  }
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);

  // A chosen gazetteer suggestion sets the point and its precision.
  var placeInput = form.elements.place_name;
  placeInput.addEventListener("change", function () {
    var opts = document.querySelectorAll("#places option");
    for (var i = 0; i < opts.length; i++) {
      if (opts[i].value === placeInput.value) {
        lat.value = opts[i].getAttribute("data-lat");
        lon.value = opts[i].getAttribute("data-lon");
        var p = opts[i].getAttribute("data-precision");
        if (p) { prec.value = p; }
        place(parseFloat(lat.value), parseFloat(lon.value), true);
        save();
        return;
      }
    }
  });

  // --- drafts and sending ---------------------------------------------------------------------
  restore();
  fromInputs();
  form.addEventListener("input", function () { save(); say(statusEl, msg("saved"), "note"); });
  form.addEventListener("change", save);

  function showErrors(body) {
    resultEl.textContent = "";
    resultEl.className = "error";
    resultEl.appendChild(document.createTextNode(msg("error") + " " + (body.message || "")));
    (body.details || []).forEach(function (d) {
      var line = document.createElement("div");
      line.textContent = d.field + ": " + d.message;
      resultEl.appendChild(line);
    });
  }

  function send() {
    if (sending) { return; }
    if (!form.reportValidity()) { return; }
    sending = true;
    pending = true;
    save();
    say(resultEl, msg("sending"), "note");
    var fd = new FormData(form);
    fetch(form.action, { method: "POST", body: fd, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; });
      })
      .then(function (res) {
        sending = false;
        if (res.status === 200 || res.status === 201) {
          pending = false;
          clear();
          var b = res.body;
          resultEl.textContent = "";
          resultEl.className = "ok";
          var line = document.createElement("span");
          line.textContent = (res.body.duplicate ? msg("duplicate") + " " : "") +
            msg("sent").replace("{id}", b.report_id).replace("{incident}", b.incident_id || "—");
          resultEl.appendChild(line);
          if (b.incident_id) {
            var a = document.createElement("a");
            a.href = "/incidents/" + b.incident_id;
            a.textContent = " #" + b.incident_id;
            a.id = "sent-incident";
            resultEl.appendChild(a);
          }
          resultEl.setAttribute("data-report-id", b.report_id);
          form.reset();
          form.elements.client_id.value = uuid4();
          say(statusEl, "", "note");
        } else {
          pending = false;
          save();
          showErrors(res.body || {});
        }
      })
      .catch(function () {
        sending = false;
        save();
        say(resultEl, msg("offline"), "error");
        resultEl.setAttribute("data-offline", "1");
      });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
  window.addEventListener("online", function () { if (pending) { send(); } });
  if (pending && navigator.onLine) { send(); }
})();
