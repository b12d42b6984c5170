/* The hub's service worker: what a visitor has opened once still opens in the mountains.
   tourhub/site/offline.py writes it into the site as /sw.js with SETTINGS filled in (the
   version comes from the bytes of everything precached, so a changed shell installs afresh).

   What is cached, and how:
   - Install: the shell of SETTINGS.precache (the offline page of each language, the site's
     stylesheets and its own scripts), kept per version.
   - Pages (any navigation, any .../ or .html of this site): network first; when the network
     has not answered within SETTINGS.pageTimeoutMs (a weak mountain network) or fails, the saved
     copy, marked with when it was saved (offline.js shows it); the network's answer still
     replaces the copy when it comes. A page never opened and no network: the offline page.
   - Asked by a page (offline.js, once it has loaded): the page itself and the files it used
     (a first visit happens before this worker controls anything), and on a route page its
     areas' and notices' pages and the notices and crowd pages of its language, each fetched
     again only when older than SETTINGS.maxAgeMinutes says.
   - Files under assets/ and pagefind/: Pagefind's index chunks and fragments (named by content
     hash) from the cache; everything else from the cache at once and refreshed from the network
     behind it; pagefind-entry.json (which names the current index) network first.
   - Nothing else: requests to other hosts (map tiles) and the open-data downloads go to the
     network as if there were no worker, and are never stored.
   At most SETTINGS.maxPages pages are kept (the oldest saved go first). */
"use strict";

const SETTINGS = /* SETTINGS */ {};
const SHELL = "th-shell-" + SETTINGS.version;
const PAGES = "th-pages-v1";
const FILES = "th-files-v1";
const SCOPE = new URL(self.registration.scope);
const SAVED_AT = "X-TH-Saved-At";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    await cache.addAll(SETTINGS.precache.map((path) => new Request(new URL(path, SCOPE), { cache: "no-cache" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("th-shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/* The site path of a URL of this site ("routes/x/"), or null for anything else. */
function sitePath(url) {
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return null;
  return url.pathname.slice(SCOPE.pathname.length);
}

function isPage(path) {
  return path === "" || path.endsWith("/") || path.endsWith(".html");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const path = sitePath(url);
  if (path === null || path === "sw.js" || path.startsWith("__")) return;   // other hosts; the dev server
  if (path.startsWith("assets/duckdb/")) return;     // the SQL page's engine (4 MB gzipped WebAssembly): the browser's own cache
  if (request.mode === "navigate" || isPage(path)) {
    event.respondWith(page(event, url, path));
  } else if (path.startsWith("assets/") || path.startsWith("pagefind/")) {
    event.respondWith(file(event, path));
  }
});

/* A page: the network first, the saved copy when the network is slow or gone. */
async function page(event, url, path) {
  const key = url.origin + url.pathname;
  const cache = await caches.open(PAGES);
  const saved = await cache.match(key);
  const network = fetch(event.request).then((response) => {
    if (storable(response)) event.waitUntil(keep(cache, key, response.clone()));
    return response;
  });
  event.waitUntil(network.catch(() => undefined));      // a slow answer still refreshes the copy
  const answer = network.catch(() => null);
  const response = saved
    ? await Promise.race([answer, delay(SETTINGS.pageTimeoutMs).then(() => null)])
    : await answer;
  if (response && (response.status < 500 || !saved)) return response;
  if (saved) return markedSaved(saved);
  return offlinePage(path);
}

/* A copy to keep: the page as the server sent it, with the moment it was saved and its title
   (for the offline page's list of saved pages). */
async function keep(cache, key, response) {
  const body = await response.text();
  const title = /<title>([^<]*)<\/title>/i.exec(body);
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, new Date().toISOString());
  headers.set("X-TH-Title", encodeURIComponent(title ? unescapeHtml(title[1]).split(" - ")[0].trim() : ""));
  headers.delete("Content-Length");
  await cache.put(key, new Response(body, { status: response.status, statusText: response.statusText, headers: headers }));
  await trim(cache);
}

function unescapeHtml(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#0?39;/g, "'")
    .replace(/&amp;/g, "&");
}

async function trim(cache) {
  const keys = await cache.keys();               // oldest saved first
  for (const old of keys.slice(0, Math.max(0, keys.length - SETTINGS.maxPages))) await cache.delete(old);
}

function storable(response) {
  const type = response.headers.get("Content-Type") || "";
  return response.ok && response.type === "basic" && type.startsWith("text/html");
}

/* The saved copy, telling the page when it was saved (offline.js shows the note). */
async function markedSaved(saved) {
  const when = (saved.headers.get(SAVED_AT) || "").replace(/[^0-9TZ:.+-]/g, "");
  const html = (await saved.text()).replace(/<\/head>/i, '<meta name="th-saved-at" content="' + when + '"></head>');
  const headers = new Headers(saved.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers: headers });
}

async function offlinePage(path) {
  const lang = path.startsWith("en/") ? "en" : "zh";
  const fallback = await caches.match(new URL(SETTINGS.offlinePage[lang], SCOPE).href);
  if (fallback) return fallback;
  return new Response(SETTINGS.offlineText, { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

/* A stylesheet, script, image or search file. */
async function file(event, path) {
  const request = event.request;
  const saved = await caches.match(request, { ignoreSearch: true });
  const fromNetwork = () => fetch(request).then(async (response) => {
    if (response.ok && response.type === "basic") await (await caches.open(FILES)).put(request, response.clone());
    return response;
  });
  if (path === "pagefind/pagefind-entry.json") {        // names the current index: the network first
    const network = fromNetwork();
    const response = await Promise.race([network.catch(() => null), delay(SETTINGS.fileTimeoutMs).then(() => null)]);
    return response || saved || network;
  }
  if (!saved) return fromNetwork();
  if (!/^pagefind\/(index|fragment)\/|\.pf_meta$/.test(path)) {   // not named by its content: refresh behind
    event.waitUntil(fromNetwork().catch(() => undefined));
  }
  return saved;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/* offline.js asks: keep this page, the files it used and the pages it names. */
self.addEventListener("message", (event) => {
  const data = event.data || {};
  const port = event.ports && event.ports[0];
  if (data.type !== "th-save") return;
  event.waitUntil(save(data).then(
    (count) => port && port.postMessage({ type: "th-saved", count: count }),
    () => port && port.postMessage({ type: "th-save-failed" })));
});

async function save(data) {
  const pages = await caches.open(PAGES);
  const files = await caches.open(FILES);
  let count = 0;
  const own = (text) => {
    try {
      const url = new URL(text, SCOPE);
      return sitePath(url) === null ? null : url;
    } catch (error) {
      return null;
    }
  };
  const current = own(data.page);
  if (current && await savePage(pages, current, 1)) count += 1;
  for (const text of data.files || []) {
    const url = own(text);
    const path = url && sitePath(url);
    if (!path || !(path.startsWith("assets/") || path.startsWith("pagefind/"))) continue;
    if (await caches.match(url.href, { ignoreSearch: true })) continue;
    const response = await fetch(url.href).catch(() => null);
    if (response && response.ok && response.type === "basic") {
      await files.put(url.href, response);
      count += 1;
    }
  }
  for (const item of data.related || []) {
    const url = own(item.url);
    const maxAge = SETTINGS.maxAgeMinutes[item.kind];
    if (url && maxAge && isPage(sitePath(url)) && await savePage(pages, url, maxAge)) count += 1;
  }
  return count;
}

/* Fetch and keep a page unless the copy kept is younger than maxAgeMinutes. */
async function savePage(cache, url, maxAgeMinutes) {
  const key = url.origin + url.pathname;
  const saved = await cache.match(key);
  const savedAt = saved && Date.parse(saved.headers.get(SAVED_AT) || "");
  if (savedAt && Date.now() - savedAt < maxAgeMinutes * 60000) return false;
  const response = await fetch(key, { credentials: "same-origin" }).catch(() => null);
  if (!response || !storable(response)) return false;
  await keep(cache, key, response);
  return true;
}
