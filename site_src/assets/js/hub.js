/* Re-check, against the visitor's clock, what the static build decided at build time:
   alerts that expired (or came into force) since the build, observations and a build that
   have grown old; and show the newest crowd levels from data/crowd/latest.json, which
   `build.py live` rewrites every few minutes without rebuilding the pages (the level written
   in the page is what a visitor without JavaScript sees). Loaded on every page; no dependencies. */
(function () {
  "use strict";
  var now = Date.now();
  var LIVE_EVERY_MS = 5 * 60 * 1000;
  var script = document.currentScript;
  var liveFeed = script && script.src ? new URL("../../data/crowd/latest.json", script.src).href : null;

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

  function localClock(when) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
      " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
  }

  // When the live data was last written (latest.json's built_at): said on the home page, and
  // on the crowds page once it is older than the scheme's stale limit.
  function sayWhenLiveDataWasWritten(writtenAt) {
    var written = Date.parse(writtenAt);
    if (isNaN(written)) return;
    var minutes = (now - written) / 60000;
    document.querySelectorAll("[data-th-updated]").forEach(function (note) {
      note.textContent = fill(note.dataset.thTemplate, { time: localClock(new Date(written)) });
      note.hidden = false;
    });
    document.querySelectorAll("[data-th-build-age]").forEach(function (note) {
      if (minutes <= Number(note.dataset.thMaxAge)) return;
      note.textContent = fill(note.dataset.thMessage, { time: localClock(new Date(written)),
                                                        hours: String(Math.floor(minutes / 60)) });
      note.hidden = false;
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

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  // "2026-11-30T20:05:00+08:00" -> "2026-11-30 20:05" (or "11-30 20:05"): the time as the area
  // lives it, as the built page writes it.
  function localTime(iso, short) {
    var text = iso.slice(0, 16).replace("T", " ");
    return short ? text.slice(5) : text;
  }

  // Each crowd card (data-th-area) takes a newer reading of its area; its marked parts
  // (data-th-live: badge, text, time) are refilled from their templates.
  function showLiveLevels(feed) {
    var english = document.documentElement.lang === "en";
    var latest = {};
    (feed.areas || []).forEach(function (entry) { latest[entry.id] = entry; });
    document.querySelectorAll("[data-th-area][data-th-observed]").forEach(function (card) {
      var entry = latest[card.dataset.thArea];
      if (!entry || !(Date.parse(entry.observed_at) > Date.parse(card.dataset.thObserved))) return;
      var values = { percent: Number(entry.percent).toFixed(1), count: entry.count, capacity: entry.capacity,
                     level: english ? entry.level_label_en : entry.level_label_zh };
      card.querySelectorAll("[data-th-live]").forEach(function (part) {
        if (part.dataset.thLive === "time") {
          part.setAttribute("datetime", entry.observed_at);
          part.textContent = localTime(entry.observed_at, part.dataset.thTemplate === "short");
          return;
        }
        if (part.dataset.thLive === "badge") {
          part.style.background = entry.colour;
          part.style.color = entry.text_colour;
        }
        part.textContent = fill(part.dataset.thTemplate, values);
      });
      card.dataset.thObserved = entry.observed_at;
      card.classList.remove("th-is-stale");
      var mark = card.querySelector("[data-th-stale-mark]");
      if (mark) mark.hidden = true;
    });
    markStaleObservations();
  }

  function readLiveData() {
    now = Date.now();
    var wanted = "[data-th-area][data-th-observed], [data-th-build-age], [data-th-updated]";
    if (!liveFeed || !window.fetch || !document.querySelector(wanted)) return;
    fetch(liveFeed, { cache: "no-cache" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (feed) {
        if (!feed) return;
        showLiveLevels(feed);
        sayWhenLiveDataWasWritten(feed.built_at);
      })
      .catch(function () { /* offline or no feed: the page's own levels stay */ });
  }

  showAlertsInForce();
  showTimedEntries();
  foldAlerts();
  markStaleObservations();
  hideExpiredNotices();
  readLiveData();
  setInterval(function () { if (document.visibilityState === "visible") readLiveData(); }, LIVE_EVERY_MS);
})();
