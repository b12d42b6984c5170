/* The print button, and the interactive route map, only when the visitor asks for it: loads the self-hosted Leaflet,
   then tiles from the URL configured in mkdocs.yml (extra.map_tiles). The SVG route map drawn at
   build time stays on the page, so nothing is lost when the tiles or the network fail. */
(function () {
  "use strict";
  var tiles = document.querySelector('meta[name="th-map-tiles"]');

  function load(tag, attrs) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement(tag);
      Object.keys(attrs).forEach(function (key) { el[key] = attrs[key]; });
      el.onload = resolve;
      el.onerror = reject;
      document.head.appendChild(el);
    });
  }

  function fail(box) {
    box.hidden = false;
    box.textContent = box.dataset.thFailed;
    box.classList.add("th-map-failed");
  }

  function draw(box) {
    var stops = JSON.parse(box.dataset.thStops);
    var map = L.map(box, { scrollWheelZoom: false });
    var layer = L.tileLayer(tiles.content, { attribution: tiles.dataset.attribution, maxZoom: 18 });
    var errors = 0;
    layer.on("tileerror", function () { errors += 1; if (errors === 6) box.insertAdjacentText("afterend", box.dataset.thFailed); });
    layer.addTo(map);
    var points = stops.map(function (s) { return [s.lat, s.lon]; });
    L.polyline(points, { color: "#00695c", weight: 4 }).addTo(map);
    stops.forEach(function (s) {
      L.circleMarker([s.lat, s.lon], { radius: 9, color: "#004d40", fillColor: "#fff", fillOpacity: 1 })
        .bindTooltip(s.n + ". " + s.name, { permanent: false }).addTo(map);
    });
    map.fitBounds(points, { padding: [24, 24] });
  }

  document.querySelectorAll("[data-th-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("[data-th-load-map]").forEach(function (button) {
    button.addEventListener("click", function () {
      var box = document.getElementById(button.dataset.thLoadMap);
      button.disabled = true;
      if (!tiles || !tiles.content) { fail(box); return; }
      var base = box.dataset.thLeaflet;
      Promise.all([
        load("link", { rel: "stylesheet", href: base + "leaflet.css" }),
        typeof L === "undefined" ? load("script", { src: base + "leaflet.js" }) : Promise.resolve()
      ]).then(function () { box.hidden = false; draw(box); }, function () { fail(box); });
    });
  });
})();
