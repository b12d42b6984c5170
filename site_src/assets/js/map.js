/* The print button, and the interactive route map, only when the visitor asks for it: loads the self-hosted Leaflet,
   then tiles from the URL configured in mkdocs.yml (extra.map_tiles). The SVG route map drawn at
   build time stays on the page, so nothing is lost when the tiles or the network fail.

   What the visitor sees: "loading" at once when the button is pressed (the button is disabled
   meanwhile); a styled message if Leaflet or the tiles fail (no tile within TILE_WAIT_MS, or
   several tile errors before any tile), after which the button works again; numbered stops with
   their names. On a touch screen one finger scrolls the page and two move or zoom the map. */
(function () {
  "use strict";
  var tiles = document.querySelector('meta[name="th-map-tiles"]');
  var TILE_WAIT_MS = 12000;
  var TILE_ERRORS = 4;
  var HINT_MS = 1600;

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (key) { el[key] = attrs[key]; });
      el.onload = resolve;
      el.onerror = reject;
      document.head.appendChild(el);
    });
  }

  function setBusy(button, busy) {
    button.disabled = busy;
    button.setAttribute("aria-disabled", String(busy));
  }

  function say(status, kind) {
    if (!status) return;
    status.hidden = !kind;
    status.classList.toggle("th-map-status--loading", kind === "loading");
    status.classList.toggle("th-map-status--failed", kind === "failed");
    status.textContent = kind ? status.dataset[kind] : "";
  }

  function numberedIcon(n) {
    return L.divIcon({ className: "th-map-pin", html: "<span>" + n + "</span>", iconSize: [28, 28], iconAnchor: [14, 14] });
  }

  // One finger on the map scrolls the page (Leaflet's dragging is off on touch screens); a hint
  // says to use two, which pan and zoom (Leaflet's pinch handler).
  function twoFingerHint(box) {
    var hint = document.createElement("div");
    var timer = 0;
    hint.className = "th-map-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = box.dataset.thTwoFingers;
    box.appendChild(hint);
    box.addEventListener("touchmove", function (event) {
      if (event.touches.length !== 1) { hint.classList.remove("th-map-hint--shown"); return; }
      hint.classList.add("th-map-hint--shown");
      clearTimeout(timer);
      timer = setTimeout(function () { hint.classList.remove("th-map-hint--shown"); }, HINT_MS);
    }, { passive: true });
  }

  function draw(box, button, status) {
    var stops = JSON.parse(box.dataset.thStops);
    var touch = window.matchMedia("(pointer: coarse)").matches;
    var map = L.map(box, { scrollWheelZoom: false, dragging: !touch, touchZoom: true });
    box.thMap = map;
    var layer = L.tileLayer(tiles.content, { attribution: tiles.dataset.attribution, maxZoom: 18 });
    var loaded = false, failed = false, errors = 0;
    function fail() {
      if (loaded || failed || box.thMap !== map) return;     // settled, or an earlier attempt's timer
      failed = true;
      say(status, "failed");
      setBusy(button, false);
    }
    var timer = setTimeout(fail, TILE_WAIT_MS);
    layer.on("tileload", function () {                        // tiles after all (a slow network): all is well
      if (loaded) return;
      loaded = true;
      clearTimeout(timer);
      say(status, null);
      setBusy(button, true);
    });
    layer.on("tileerror", function () { errors += 1; if (errors >= TILE_ERRORS) fail(); });
    layer.addTo(map);
    var points = stops.map(function (s) { return [s.lat, s.lon]; });
    L.polyline(points, { color: "#00695c", weight: 4 }).addTo(map);
    stops.forEach(function (s) {
      L.marker([s.lat, s.lon], { icon: numberedIcon(s.n), title: s.n + ". " + s.name, keyboard: false })
        .bindTooltip(s.name, { permanent: true, direction: "right", offset: [14, 0], className: "th-map-tip" })
        .addTo(map);
    });
    map.fitBounds(points, { padding: [32, 32] });
    if (touch && !box.querySelector(".th-map-hint")) twoFingerHint(box);
  }

  document.querySelectorAll("[data-th-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("[data-th-load-map]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById(button.dataset.thLoadMap);
      var status = document.querySelector('[data-th-map-status="' + button.dataset.thLoadMap + '"]');
      if (box.thMap) { box.thMap.remove(); box.thMap = null; }      // a retry: draw afresh, asking for tiles again
      setBusy(button, true);
      say(status, "loading");
      if (!tiles || !tiles.content) { say(status, "failed"); setBusy(button, false); return; }
      var base = box.dataset.thLeaflet;
      Promise.all([
        load("link", { rel: "stylesheet", href: base + "leaflet.css" }),
        typeof L === "undefined" ? load("script", { src: base + "leaflet.js" }) : Promise.resolve()
      ]).then(function () {
        box.hidden = false;
        draw(box, button, status);
      }, function () {
        say(status, "failed");
        setBusy(button, false);
      });
    });
  });
})();
