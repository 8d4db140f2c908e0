/* The field outbox: reports filed on this device and not yet received by the server, kept in the
   browser's IndexedDB (one database per signed-in user, so a shared phone never sends one user's
   reports under another's session). Each item is keyed by its client-made UUID, the report's id:
   sending it again is a duplicate on the server, never a second report. This file only stores and
   counts (the nav badge); report.js fills and sends the outbox. Loaded on every page of a user who
   may report. */
(function () {
  "use strict";
  var who = document.querySelector(".who[data-user]");
  var user = who ? who.getAttribute("data-user") : "";
  var STORE = "reports";
  var opened = null;

  function open() {
    if (opened) { return opened; }
    opened = new Promise(function (resolve, reject) {
      if (!user || !window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req;
      try { req = indexedDB.open("truce-outbox:" + user, 1); } catch (err) { reject(err); return; }
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(STORE)) { db.createObjectStore(STORE, { keyPath: "id" }); }
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
      req.onblocked = function () { reject(new Error("outbox blocked")); };
    });
    return opened;
  }

  // One transaction; resolves with the result of the request fn returns, once the transaction is durable.
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out;
        var r = fn(t.objectStore(STORE));
        if (r) { r.onsuccess = function () { out = r.result; }; }
        t.oncomplete = function () { resolve(out); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error || new Error("aborted")); };
      });
    });
  }

  var badge = document.getElementById("outbox-badge");
  function showCount(n) {
    if (!badge) { return; }
    badge.textContent = n ? String(n) : "";
    badge.hidden = !n;
    var t = (badge.getAttribute("data-msg-title") || "").replace("{n}", String(n));
    if (n) { badge.setAttribute("title", t); badge.setAttribute("aria-label", t); } else { badge.removeAttribute("title"); }
  }

  var api = {
    user: user,
    available: function () { return open().then(function () { return true; }, function () { return false; }); },
    all: function () {
      return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
        return (items || []).sort(function (a, b) { return a.created - b.created; });
      });
    },
    get: function (id) { return tx("readonly", function (s) { return s.get(id); }); },
    put: function (item) { return tx("readwrite", function (s) { return s.put(item); }); },
    remove: function (id) { return tx("readwrite", function (s) { return s.delete(id); }); },
    count: function () { return tx("readonly", function (s) { return s.count(); }); },
    showCount: showCount,
    refreshBadge: function () { return api.count().then(showCount, function () {}); }
  };
  window.TruceOutbox = api;
  if (badge) { api.refreshBadge(); }
  // The service worker (/sw.js) keeps the report page and its files, so that it opens with no connection.
  if (user && window.isSecureContext && navigator.serviceWorker) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the page works without */ });
  }
})();
