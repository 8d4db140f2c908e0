/* The service worker of the field outbox (served as /sw.js, scope /): the report page and the static files
   it needs open with no connection, so a reload or a reopened tab still shows the form and the reports
   waiting in the outbox (IndexedDB, outbox.js). It keeps:
   - /report: network first; the cached copy only when the network fails. A copy is kept only of a page the
     server rendered (200, not redirected to sign in).
   - /static/...: from the cache, fetched and kept when missing (the cache name changes with every change of
     the static files, so a deploy never mixes old and new files).
   Every other request goes to the network untouched: no stale page is ever shown as fresh.
   A shared phone: the cached page holds the user's name and CSRF token, so it is dropped whenever the worker
   sees /logout or /login requested (signing out, signing in as someone else, a session that ended), and a
   /report answered by a redirect to sign in is never kept. The version is filled in by the server. */
"use strict";
var VERSION = "__VERSION__";
var STATIC = "truce-static-" + VERSION;
var PAGES = "truce-pages-" + VERSION;
var PAGE = "/report";
var ASSETS = [
  "/static/css/truce.css",
  "/static/vendor/htmx/htmx.min.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/images/layers.png",
  "/static/vendor/leaflet/images/layers-2x.png",
  "/static/js/outbox.js",
  "/static/js/report.js"
];

function keepPage(cache, resp) {
  if (resp.ok && !resp.redirected && resp.type === "basic") { return cache.put(PAGE, resp); }
  return cache.delete(PAGE);
}

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([
    caches.open(STATIC).then(function (c) { return c.addAll(ASSETS); }),
    // The page that registered the worker was loaded before it: keep a copy now (if this user may report).
    caches.open(PAGES).then(function (c) {
      return fetch(PAGE, { credentials: "same-origin" }).then(function (r) { return keepPage(c, r); }, function () {});
    })
  ]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("truce-") === 0 && n !== STATIC && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function forget() {
  return caches.open(PAGES).then(function (c) { return c.delete(PAGE); });
}

self.addEventListener("message", function (event) {
  if (event.data === "forget") { event.waitUntil(forget()); }
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === "/logout" || url.pathname === "/login") {
    // Signing out or in: the previous user's page must never be shown again (the request itself goes on).
    event.waitUntil(forget());
    return;
  }
  if (req.method !== "GET") { return; }
  if (url.pathname === PAGE && req.mode === "navigate") {
    event.respondWith(fetch(req).then(function (resp) {
      var copy = resp.clone();
      event.waitUntil(caches.open(PAGES).then(function (c) { return keepPage(c, copy); }));
      return resp;
    }, function (err) {
      return caches.open(PAGES).then(function (c) { return c.match(PAGE); }).then(function (hit) {
        if (hit) { return hit; }
        throw err;
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(STATIC).then(function (c) {
      return c.match(req, { ignoreSearch: true }).then(function (hit) {
        if (hit) { return hit; }
        return fetch(req).then(function (resp) {
          if (resp.ok) { c.put(req, resp.clone()); }
          return resp;
        });
      });
    }));
  }
});
