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

  // On a phone the banner shows its first alert on one line (hub.css); this button opens the rest.
  function foldAlerts() {
    var box = document.querySelector("[data-th-alerts]");
    var button = box && box.querySelector("[data-th-alerts-more]");
    if (!button) return;
    var others = box.querySelectorAll("[data-th-alert]:not([hidden])").length - 1;
    button.hidden = others < 1;
    if (button.hidden) return;
    var label = function () {
      var open = box.classList.contains("th-alerts--open");
      button.textContent = open ? button.dataset.fewer : button.dataset.more.replace("{n}", String(others));
      button.setAttribute("aria-expanded", String(open));
    };
    button.addEventListener("click", function () { box.classList.toggle("th-alerts--open"); label(); });
    label();
  }

  // Issue 14, part 1 (home page): lists of timed entries, such as the home page's warnings.
  // An entry shows only between its data-th-show-from and data-th-show-until, at most
  // data-th-most of them; when none shows, the section's [data-th-when-empty] note does.
  function showTimedEntries() {
    document.querySelectorAll("[data-th-timed-list]").forEach(function (list) {
      var most = Number(list.dataset.thMost) || Infinity;
      var shown = 0;
      list.querySelectorAll("[data-th-show-until]").forEach(function (entry) {
        var inForce = now >= Date.parse(entry.dataset.thShowFrom) && now < Date.parse(entry.dataset.thShowUntil);
        entry.hidden = !(inForce && shown < most);
        if (!entry.hidden) shown += 1;
      });
      list.hidden = shown === 0;
      var empty = list.parentNode.querySelector("[data-th-when-empty]");
      if (empty) empty.hidden = shown > 0;
    });
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

  // Issue 14, part 3 (offline): a notice shown with its end (data-th-expires: an entry of the
  // notices list, a notice box on a route or area page) goes once that end has passed, on a saved
  // copy opened offline as on a fresh page; a notice's own page stays, marked th-is-expired.
  function hideExpiredNotices() {
    document.querySelectorAll("[data-th-expires]").forEach(function (entry) {
      if (now < Date.parse(entry.dataset.thExpires)) return;
      if (entry.classList.contains("th-notice-page")) {
        entry.classList.add("th-is-expired");
      } else {
        entry.hidden = true;
        entry.style.display = "none";
      }
    });
  }

  showAlertsInForce();
  showTimedEntries();
  foldAlerts();
  markStaleObservations();
  sayWhenBuildIsOld();
  hideExpiredNotices();
})();
