/* Offline after one visit. Registers the service worker (/sw.js, written at build time by
   tourhub/site/offline.py) once the page has loaded, then asks it to keep this page and the files
   it used and, on a route page, what a traveller on that route wants without a network: the
   pages of its areas and of the notices it links, and the notices and crowd pages of the page's
   language (not when the browser asks to save data). On a page the worker served from its saved
   copy, says when that copy was saved. On the offline page, lists the pages saved.
   In `build.py serve` it registers nothing and removes any worker left from an earlier visit:
   a live preview must never be answered from a cache. No dependencies, no other host. */
(function () {
  "use strict";
  var settings = document.querySelector('meta[name="th-offline"]');
  if (!settings) return;
  var scope = new URL(settings.dataset.scope, window.location.href);
  var PAGES = "th-pages-v1";

  function pad(n) { return String(n).padStart(2, "0"); }

  function localTime(when) {
    return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
      " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
  }

  function sitePath(url) {
    return url.origin === scope.origin && url.pathname.indexOf(scope.pathname) === 0
      ? url.pathname.slice(scope.pathname.length) : null;
  }

  // The worker adds <meta name="th-saved-at"> to a page it answers from its saved copy.
  function sayWhenSaved() {
    var saved = document.querySelector('meta[name="th-saved-at"]');
    var when = saved && new Date(saved.content);
    if (!when || isNaN(when.getTime())) return;
    var note = document.createElement("p");
    note.className = "th-saved-note";
    note.setAttribute("role", "status");
    note.setAttribute("data-th-saved-note", "");
    note.textContent = settings.dataset.saved.replace("{time}", localTime(when));
    var content = document.querySelector(".md-content__inner") || document.body;
    content.insertBefore(note, content.firstChild);
  }

  // On a route page: its areas' and notices' pages, and the notices and crowd pages.
  function relatedPages() {
    var here = sitePath(new URL(window.location.href));
    var route = here && /^(en\/)?routes\/[^/]+\/$/.exec(here);
    if (!route || (navigator.connection && navigator.connection.saveData)) return [];
    var prefix = route[1] || "";
    var linked = new RegExp("^" + prefix + "(areas|notices)/[^/]+/$");
    var seen = {};
    var related = [];
    function add(url, kind) {
      if (!seen[url]) related.push({ url: url, kind: kind });
      seen[url] = true;
    }
    document.querySelectorAll(".md-content a[href]").forEach(function (link) {
      var url = new URL(link.href, window.location.href);
      var match = linked.exec(sitePath(url) || "");
      if (match) add(url.origin + url.pathname, match[1] === "areas" ? "area" : "notice");
    });
    add(new URL(prefix + "notices/", scope).href, "notices");
    add(new URL(prefix + "crowds/", scope).href, "crowds");
    return related;
  }

  function filesUsed() {
    return performance.getEntriesByType("resource").map(function (entry) { return entry.name; })
      .filter(function (name) { return sitePath(new URL(name)) !== null; });
  }

  function askToSave(worker) {
    if (!worker) return;
    var channel = new MessageChannel();
    channel.port1.onmessage = function (event) {
      // For the curious and for the tests: "saved" once this page and its companions are kept.
      document.documentElement.setAttribute("data-th-offline", event.data.type === "th-saved" ? "saved" : "failed");
    };
    worker.postMessage({ type: "th-save", page: window.location.href.split("#")[0], files: filesUsed(),
      related: relatedPages() }, [channel.port2]);
  }

  // The offline page: links to the pages of its language that are saved, newest first.
  function listSavedPages() {
    var list = document.querySelector("[data-th-saved-pages]");
    if (!list || !window.caches) return;
    var english = document.documentElement.lang === "en";
    caches.open(PAGES).then(function (cache) { return cache.keys().then(function (requests) {
      return Promise.all(requests.map(function (request) {
        return cache.match(request).then(function (response) { return { url: request.url, response: response }; });
      }));
    }); }).then(function (entries) {
      var pages = entries.filter(function (entry) {
        var path = sitePath(new URL(entry.url));
        return entry.response && path !== null && /^en\//.test(path) === english && !/(^|\/)offline\/$/.test(path);
      }).map(function (entry) {
        var headers = entry.response.headers;
        return { url: entry.url, title: decodeURIComponent(headers.get("X-TH-Title") || "") || entry.url,
                 savedAt: new Date(headers.get("X-TH-Saved-At") || 0) };
      }).sort(function (a, b) { return b.savedAt - a.savedAt; });
      pages.forEach(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.url;
        link.textContent = page.title;
        var when = document.createElement("span");
        when.className = "th-saved-pages__when";
        when.textContent = " · " + localTime(page.savedAt);
        item.appendChild(link);
        item.appendChild(when);
        list.appendChild(item);
      });
      var none = document.querySelector("[data-th-saved-none]");
      if (none) none.hidden = pages.length > 0;
    }).catch(function () { /* nothing to list */ });
  }

  sayWhenSaved();
  listSavedPages();
  if (!("serviceWorker" in navigator)) return;
  if (settings.dataset.register !== "true") {
    // Unregister, then empty the caches; a worker still answering this page may refill them
    // while it loads, so a page it controls is loaded once more (it then has no worker).
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      return Promise.all(registrations.map(function (registration) { return registration.unregister(); }));
    }).then(function () {
      return window.caches ? caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf("th-") === 0; })
          .map(function (name) { return caches.delete(name); }));
      }) : null;
    }).then(function () {
      if (navigator.serviceWorker.controller) window.location.reload();
    }).catch(function () { /* nothing to retire */ });
    return;
  }
  function start() {
    navigator.serviceWorker.register(settings.content, { scope: scope.pathname }).catch(function () { /* no worker: the site works as before */ });
    navigator.serviceWorker.ready.then(function (registration) { askToSave(registration.active); });
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", start);
})();
