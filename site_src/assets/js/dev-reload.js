/* Only in `python build.py serve`: reload the page when a new build is ready. */
(function () {
  "use strict";
  var root = document.currentScript.src.replace(/assets\/js\/dev-reload\.js.*$/, "");
  var seen = null;
  setInterval(function () {
    fetch(root + "__build", { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (n) {
      if (seen !== null && n !== seen) window.location.reload();
      seen = n;
    }, function () {});
  }, 1500);
})();
