/* The report form: pick the point on the map or type a place name (gazetteer suggestions); the form
   being filled is kept as a draft on the device (localStorage). A submitted report goes into the field
   outbox (outbox.js: IndexedDB) with its client-made UUID (client_id, the report's id) and is sent from
   there, one at a time: at once when online, else when the connection returns (the online event), on a
   retry with growing delays, or on "Send now". It leaves the outbox only when the server answers 201
   (filed) or 200 (already filed: a resend is a duplicate, never a second report); a refusal (4xx) stays
   marked with its reason until it is edited or discarded. Without IndexedDB (or JavaScript) the form
   posts as a plain form. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var KEY = "truce-report-draft";
  var statusEl = document.getElementById("draft-status");
  var resultEl = document.getElementById("report-result");
  var box = document.getElementById("outbox");
  var listEl = document.getElementById("outbox-list");
  var countEl = document.getElementById("outbox-count");
  var boxStatus = document.getElementById("outbox-status");
  var sendNow = document.getElementById("outbox-send");
  var outbox = window.TruceOutbox || null;
  var useOutbox = false;

  function msg(name) { return form.getAttribute("data-msg-" + name) || ""; }
  function bmsg(name) { return (box && box.getAttribute("data-msg-" + name)) || ""; }
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
  function values() {
    var d = {};
    fields().forEach(function (e) { d[e.name] = e.value; });
    return d;
  }
  function save() {
    var d = values();
    if (form.getAttribute("data-editing")) { d._editing = form.getAttribute("data-editing"); }
    try { localStorage.setItem(KEY, JSON.stringify(d)); } catch (err) { /* storage full or off */ }
  }
  function fill(d) {
    fields().forEach(function (e) { if (d[e.name] !== undefined) { e.value = d[e.name]; } });
  }
  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(KEY); } catch (err) { return false; }
    if (!raw) { return false; }
    var d;
    try { d = JSON.parse(raw); } catch (err) { return false; }
    fill(d);
    if (d._editing) { form.setAttribute("data-editing", d._editing); }
    say(statusEl, msg("restored"), "note");
    return true;
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

  // --- the draft ----------------------------------------------------------------------------------
  // A fresh report id for every page shown: the page may be the service worker's cached copy (sw.js), whose
  // id was already used by an earlier report; a restored draft keeps its own.
  if (!restore()) { form.elements.client_id.value = uuid4(); }
  fromInputs();
  form.addEventListener("input", function () { save(); say(statusEl, msg("saved"), "note"); });
  form.addEventListener("change", save);

  function clearForm() {
    clear();
    form.reset();
    form.removeAttribute("data-editing");
    form.elements.client_id.value = uuid4();
    if (marker && map) { map.removeLayer(marker); marker = null; }
    say(statusEl, "", "note");
  }

  // --- the outbox list -----------------------------------------------------------------------------
  var sentRows = [];  // sent in this page's life: shown as "sent", no longer stored

  function optionText(name, value) {
    var el = form.elements[name];
    if (el && el.options) {
      for (var i = 0; i < el.options.length; i++) { if (el.options[i].value === value) { return el.options[i].textContent; } }
    }
    return value || "";
  }
  function summary(f) {
    var where = f.place_name || (f.lat && f.lon ? f.lat + ", " + f.lon : bmsg("no-place"));
    return [optionText("violation_type", f.violation_type) || "—", where, (f.occurred_at || "").replace("T", " ")].join(" · ");
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function row(item) {
    var li = el("li");
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-state", item.state);
    li.appendChild(el("span", "what", summary(item.fields || {})));
    if (item.state === "refused") {
      li.appendChild(el("span", "state", bmsg("refused").replace("{reason}", item.reason || "")));
      (item.details || []).forEach(function (d) {
        if (d && d.field && d.message && item.reason.indexOf(d.message) < 0) {
          li.appendChild(el("div", "reason", d.field + ": " + d.message));
        }
      });
      var edit = el("button", "edit", bmsg("edit"));
      edit.type = "button";
      edit.addEventListener("click", function () { startEdit(item.id); });
      var drop = el("button", "discard", bmsg("discard"));
      drop.type = "button";
      drop.addEventListener("click", function () { outbox.remove(item.id).then(render); });
      li.appendChild(edit);
      li.appendChild(drop);
    } else {
      li.appendChild(el("span", "state", bmsg(item.state === "sending" ? "sending" : "waiting")));
    }
    return li;
  }
  function sentRow(item, body) {
    var li = el("li");
    li.setAttribute("data-id", item.id);
    li.setAttribute("data-state", "sent");
    li.appendChild(el("span", "what", summary(item.fields || {})));
    li.appendChild(el("span", "state", bmsg(body.duplicate ? "duplicate" : "sent")));
    if (body.incident_id) {
      li.appendChild(document.createTextNode(" "));
      var a = el("a", "", bmsg("incident").replace("{incident}", String(body.incident_id)));
      a.href = "/incidents/" + body.incident_id;
      li.appendChild(a);
    }
    return li;
  }

  function render() {
    return outbox.all().then(function (items) {
      listEl.textContent = "";
      var waiting = 0, refused = 0;
      items.forEach(function (item) {
        if (item.state === "refused") { refused++; } else { waiting++; }
        listEl.appendChild(row(item));
      });
      sentRows.forEach(function (li) { listEl.appendChild(li); });
      box.hidden = !items.length && !sentRows.length;
      box.setAttribute("data-waiting", String(waiting));
      box.setAttribute("data-refused", String(refused));
      box.setAttribute("data-sent", String(sentRows.length));
      countEl.textContent = items.length ? String(items.length) : "";
      outbox.showCount(items.length);
      return items;
    });
  }

  function startEdit(id) {
    outbox.get(id).then(function (item) {
      if (!item) { return; }
      form.reset();
      fill(item.fields || {});
      // A 409 means another report holds this UUID: the corrected one needs its own.
      if (item.status === 409) { form.elements.client_id.value = uuid4(); }
      form.setAttribute("data-editing", id);
      var input = form.elements.evidence;
      if (input && item.files && item.files.length && window.DataTransfer) {
        try {
          var dt = new DataTransfer();
          item.files.forEach(function (f) { dt.items.add(f); });
          input.files = dt.files;
        } catch (err) { /* the files stay in the outbox item */ }
      }
      fromInputs();
      save();
      say(statusEl, bmsg("editing"), "note");
      form.scrollIntoView();
    });
  }

  // --- sending ---------------------------------------------------------------------------------------
  var TIMEOUT_MS = 60000;
  var running = false;
  var again = false;
  var delay = 0;     // seconds before the next automatic try after a failure (grows to 5 minutes)
  var timer = null;

  function csrf() {
    var c = form.elements.csrf;
    return c ? c.value : "";
  }

  function post(item) {
    var fd = new FormData();
    fd.append("csrf", csrf());
    Object.keys(item.fields || {}).forEach(function (k) { fd.append(k, item.fields[k]); });
    (item.files || []).forEach(function (f) { fd.append("evidence", f, f.name); });
    // A minute, plus time for the files at 10 kB/s (a slow field link must not abort every try of a video).
    var bytes = (item.files || []).reduce(function (n, f) { return n + (f.size || 0); }, 0);
    var ctl = window.AbortController ? new AbortController() : null;
    var t = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS + bytes / 10) : null;
    return fetch(form.action, {
      method: "POST", body: fd, credentials: "same-origin", headers: { "Accept": "application/json" },
      signal: ctl ? ctl.signal : undefined
    }).then(function (r) {
      return r.text().then(function (text) {
        var body = null;
        try { body = JSON.parse(text); } catch (err) { body = null; }
        return { status: r.status, body: body };
      });
    }).then(function (res) { clearTimeout(t); return res; }, function (err) { clearTimeout(t); throw err; });
  }

  function showSent(item, b) {
    resultEl.textContent = "";
    resultEl.className = "ok";
    var line = document.createElement("span");
    line.textContent = (b.duplicate ? msg("duplicate") + " " : "") +
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
    resultEl.removeAttribute("data-offline");
  }

  // Send one item. Resolves "next" (go on with the next one), "retry" (network, timeout or server
  // error: keep it waiting and try later) or "stop" (signed out: keep everything waiting).
  function sendOne(item) {
    item.state = "sending";
    return outbox.put(item).then(render).then(function () { return post(item); }).then(function (res) {
      var b = res.body || {};
      if ((res.status === 200 || res.status === 201) && b.report_id === item.id) {
        return outbox.remove(item.id).then(function () {
          sentRows.unshift(sentRow(item, b));
          showSent(item, b);
          return "next";
        });
      }
      if (res.status === 401 || b.code === "csrf_failed" || res.status < 400) {
        // Signed out (or sent to the sign-in page): nothing was filed; wait for a new session.
        item.state = "waiting";
        return outbox.put(item).then(function () { say(boxStatus, bmsg("signin"), "error"); return "stop"; });
      }
      if (res.status >= 500 || res.status === 408 || res.status === 429) {
        item.state = "waiting";
        return outbox.put(item).then(function () { return "retry"; });
      }
      item.state = "refused";
      item.status = res.status;
      item.reason = b.message || ("HTTP " + res.status);
      item.details = b.details || [];
      return outbox.put(item).then(function () { return "next"; });
    }, function () {
      item.state = "waiting";
      return outbox.put(item).then(function () { return "retry"; });
    });
  }

  function drain() {
    return outbox.all().then(function (items) {
      var next = null;
      for (var i = 0; i < items.length; i++) {
        if (items[i].state !== "refused") { next = items[i]; break; }
      }
      if (!next) { delay = 0; say(boxStatus, "", "note"); return null; }
      if (navigator.onLine === false) { say(boxStatus, bmsg("offline"), "note"); return "offline"; }
      return sendOne(next).then(function (outcome) {
        if (outcome === "next") { delay = 0; say(boxStatus, "", "note"); return drain(); }
        return outcome;
      });
    });
  }

  function schedule() {
    delay = delay ? Math.min(delay * 2, 300) : 5;
    var wait = delay * (1 + Math.random() * 0.2);
    clearTimeout(timer);
    timer = setTimeout(pump, wait * 1000);
    say(boxStatus, bmsg("retry").replace("{s}", String(Math.round(wait))), "note");
  }

  // Send whatever waits, one at a time; one sender per device (Web Locks) when several tabs are open.
  function pump() {
    if (!useOutbox) { return; }
    if (running) { again = true; return; }
    running = true;
    again = false;
    clearTimeout(timer);
    var work = function () { return drain(); };
    var p = (navigator.locks && navigator.locks.request)
      ? navigator.locks.request("truce-outbox:" + outbox.user, work) : work();
    p.then(function (outcome) {
      running = false;
      return render().then(function () {
        if (outcome === "retry") { schedule(); }
        if (outcome === "offline") { clearTimeout(timer); timer = setTimeout(pump, 60000); }
        if (again) { pump(); }
      });
    }, function () {
      running = false;
      schedule();
    });
  }

  function queue() {
    var f = values();
    var files = [];
    if (form.elements.evidence && form.elements.evidence.files) {
      Array.prototype.forEach.call(form.elements.evidence.files, function (x) { files.push(x); });
    }
    var item = { id: f.client_id, created: Date.now(), fields: f, files: files, state: "waiting", reason: "", details: [] };
    var old = form.getAttribute("data-editing");
    return outbox.put(item).then(function () {
      return old && old !== item.id ? outbox.remove(old) : null;
    }).then(function () { return item; });
  }

  form.addEventListener("submit", function (e) {
    if (!useOutbox) { return; }  // no IndexedDB: the plain form posts
    e.preventDefault();
    if (!form.reportValidity()) { return; }
    queue().then(function (item) {
      clearForm();
      if (navigator.onLine === false) {
        say(resultEl, bmsg("offline"), "error");
        resultEl.setAttribute("data-offline", "1");
      } else {
        say(resultEl, msg("queued"), "note");
      }
      resultEl.setAttribute("data-queued", item.id);
      if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
      return render().then(function () { pump(); });
    }, function () {
      say(resultEl, msg("store-failed"), "error");
      form.submit();
    });
  });

  if (outbox && box) {
    outbox.available().then(function (ok) {
      if (!ok) { return; }
      useOutbox = true;
      // A draft left by a tab closed after its report went into the outbox: a new report gets a new id.
      var cid = form.elements.client_id.value;
      outbox.get(cid).then(function (had) {
        if (had && form.getAttribute("data-editing") !== cid) { form.elements.client_id.value = uuid4(); }
      }, function () {});
      // An item left "sending" by a closed tab was not confirmed: it waits again.
      outbox.all().then(function (items) {
        return Promise.all(items.filter(function (i) { return i.state === "sending"; }).map(function (i) {
          i.state = "waiting";
          return outbox.put(i);
        }));
      }).then(render).then(function () {
        box.setAttribute("data-ready", "1");
        pump();
      });
      window.addEventListener("online", function () { delay = 0; pump(); });
      window.addEventListener("offline", function () { say(boxStatus, bmsg("offline"), "note"); });
      sendNow.addEventListener("click", function () { delay = 0; pump(); });
    });
  }
})();
