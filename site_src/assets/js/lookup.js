/* Certificate lookup: a provider's name or certificate number -> valid, suspended, revoked or
   expired, under which standard, until when. Reads one small JSON; decides `expired` against the
   visitor's own date too, so an old build cannot show a lapsed certificate as valid. */
(function () {
  "use strict";
  var form = document.querySelector("[data-th-lookup]");
  var out = document.querySelector("[data-th-lookup-results]");
  if (!form || !out) return;
  var lang = form.dataset.lang;
  var labels = JSON.parse(out.dataset.labels);
  var input = form.querySelector("input");
  var records = null;
  var today = new Date().toISOString().slice(0, 10);

  function statusOf(rec) {
    if (rec.status === "valid" && rec.valid_until && rec.valid_until < today) return "expired";
    return rec.status;
  }

  function row(rec) {
    var status = statusOf(rec);
    var item = document.createElement("li");
    item.className = "th-cert th-cert--" + status;
    var name = document.createElement("strong");
    name.textContent = rec.holder[lang] || rec.holder.zh;
    var badge = document.createElement("span");
    badge.className = "th-cert__status";
    badge.textContent = labels[status];
    var detail = document.createElement("span");
    detail.className = "th-cert__detail";
    detail.textContent = [
      rec.level[lang] || rec.level.zh,
      labels.standard + " " + rec.standard + (rec.standard_title ? " " + rec.standard_title[lang] : ""),
      labels.valid_until + " " + (rec.valid_until || "—"),
      rec.no ? labels.number + " " + rec.no : "",
      rec.illustrative ? labels.illustrative : ""
    ].filter(Boolean).join(" · ");
    item.append(badge, " ", name, " ", detail);
    return item;
  }

  function show() {
    var q = input.value.trim().toLowerCase();
    out.textContent = "";
    if (!q || !records) return;
    var hits = records.filter(function (rec) {
      return [rec.holder.zh, rec.holder.en, rec.no || ""].some(function (text) {
        return text.toLowerCase().indexOf(q) !== -1;
      });
    });
    if (!hits.length) { out.textContent = labels.no_match; return; }
    var list = document.createElement("ul");
    hits.slice(0, 20).forEach(function (rec) { list.appendChild(row(rec)); });
    out.appendChild(list);
  }

  fetch(form.dataset.thLookup).then(function (r) { return r.json(); }).then(function (data) {
    records = data.certifications;
    show();
  }, function () { out.textContent = labels.failed; });
  input.addEventListener("input", show);
  form.addEventListener("submit", function (event) { event.preventDefault(); show(); });
})();
