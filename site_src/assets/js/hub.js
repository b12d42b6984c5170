/* Re-check, against the visitor's clock, what the static build decided at build time:
   alerts that expired (or came into force) since the build, observations and a build that
   have grown old. Loaded on every page; no dependencies. */
(function () {
  "use strict";
  var now = Date.now();

  function showAlertsInForce() {
    var box = document.querySelector("[data-th-alerts]");
    if (!box) return;
    var shown = 0;
    box.querySelectorAll("[data-th-alert]").forEach(function (alert) {
      var inForce = now >= Date.parse(alert.dataset.effective) && now < Date.parse(alert.dataset.expires);
      alert.hidden = !inForce;
      if (inForce) shown += 1;
    });
    // The whole banner goes when no alert is in force, unless it also says this is a demo site.
    var banner = box.closest(".md-banner");
    if (!banner || banner.querySelector("[data-th-demo]")) banner = box;
    banner.style.display = shown ? "" : "none";
  }

  function markStaleObservations() {
    document.querySelectorAll("[data-th-observed]").forEach(function (card) {
      var minutes = (now - Date.parse(card.dataset.thObserved)) / 60000;
      if (minutes > Number(card.dataset.thStaleAfter)) {
        card.classList.add("th-is-stale");
        var mark = card.querySelector("[data-th-stale-mark]");
        if (mark) mark.hidden = false;
      }
    });
  }

  function sayWhenBuildIsOld() {
    document.querySelectorAll("[data-th-built-at]").forEach(function (note) {
      var built = Date.parse(note.dataset.thBuiltAt);
      var minutes = (now - built) / 60000;
      if (minutes > Number(note.dataset.thMaxAge)) {
        var when = new Date(built);
        var pad = function (n) { return String(n).padStart(2, "0"); };
        var time = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
          " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
        note.textContent = note.dataset.thMessage.replace("{time}", time)
          .replace("{hours}", String(Math.floor(minutes / 60)));
        note.hidden = false;
      }
    });
  }

  showAlertsInForce();
  markStaleObservations();
  sayWhenBuildIsOld();
})();
