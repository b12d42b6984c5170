/* The search page: a small UI of the hub's own over Pagefind's API. Pagefind fetches only the
   index chunks a query needs; its ready-made UI (135 KB of script and style) and its web worker
   (41 KB) are left out: on a mountain network they cost more than the whole page, and an index
   of this size searches in a few milliseconds on the page itself. The language index follows
   <html lang>; ?q= in the address (the search field in the header) runs at once. Result links
   keep Pagefind's class name (pagefind-ui__result-link) for the tests and benchmarks that
   look for them. Excerpts keep only Pagefind's <mark> highlighting; everything else is text. */
(function () {
  "use strict";
  var box = document.querySelector("[data-th-search]");
  if (!box) return;
  var labels = JSON.parse(box.dataset.labels);
  var PAGE_SIZE = 8;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var form = element("form", "th-finder__form");
  form.setAttribute("role", "search");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  var label = element("label", "th-visually-hidden", labels.label);
  label.htmlFor = "th-finder-q";
  var input = element("input", "th-finder__input");
  input.id = "th-finder-q";
  input.type = "search";
  input.placeholder = labels.placeholder;
  input.autocomplete = "off";
  input.setAttribute("enterkeyhint", "search");
  form.appendChild(label);
  form.appendChild(input);
  var status = element("p", "th-finder__status");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var list = element("ol", "th-finder__results");
  var more = element("button", "md-button th-finder__more", labels.more);
  more.type = "button";
  more.hidden = true;
  box.textContent = "";
  [form, status, list, more].forEach(function (node) { box.appendChild(node); });

  var api = null;
  function pagefind() {
    if (!api) {
      api = import(new URL(box.dataset.bundle + "pagefind.js", window.location.href).href).then(function (module) {
        return module.options({ noWorker: true }).then(function () { return module; });
      });
    }
    return api;
  }

  // Pagefind's excerpt is HTML with <mark> around the words found: keep those, make the rest text.
  function excerpt(html) {
    var template = document.createElement("template");
    template.innerHTML = html || "";
    var out = element("p", "th-finder__excerpt");
    template.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") out.appendChild(element("mark", "", node.textContent));
      else out.appendChild(document.createTextNode(node.textContent));
    });
    return out;
  }

  function render(data) {
    var item = element("li", "th-finder__result");
    var link = element("a", "th-finder__link pagefind-ui__result-link", (data.meta && data.meta.title) || data.url);
    link.href = data.url;
    item.appendChild(link);
    item.appendChild(excerpt(data.excerpt));
    var title = data.meta && data.meta.title;
    var subs = (data.sub_results || []).filter(function (sub) {
      return sub.url !== data.url && sub.title !== title;         // not the page's own title again
    }).slice(0, 3);
    if (subs.length) {
      var nested = element("ul", "th-finder__subs");
      subs.forEach(function (sub) {
        var entry = element("li");
        var anchor = element("a", "th-finder__sublink", sub.title);
        anchor.href = sub.url;
        entry.appendChild(anchor);
        entry.appendChild(excerpt(sub.excerpt));
        nested.appendChild(entry);
      });
      item.appendChild(nested);
    }
    list.appendChild(item);
  }

  var latest = 0;
  var found = [];
  var shown = 0;

  function showMore(run) {
    var page = found.slice(shown, shown + PAGE_SIZE);
    shown += page.length;
    return Promise.all(page.map(function (result) { return result.data(); })).then(function (data) {
      if (run !== latest) return;
      data.forEach(render);
      more.hidden = shown >= found.length;
    });
  }

  function search(term) {
    var run = ++latest;
    term = term.trim();
    list.textContent = "";
    more.hidden = true;
    if (!term) {
      status.textContent = "";
      return;
    }
    status.textContent = labels.loading;
    pagefind().then(function (module) { return module.debouncedSearch(term, {}, 250); }).then(function (result) {
      if (result === null || run !== latest) return;            // a later query took over
      found = result.results;
      shown = 0;
      status.textContent = found.length === 0 ? labels.none.replace("{q}", term)
        : found.length === 1 ? labels.one : labels.many.replace("{n}", String(found.length));
      return showMore(run);
    }).catch(function () {
      if (run === latest) status.textContent = labels.failed;
    });
  }

  input.addEventListener("input", function () { search(input.value); });
  more.addEventListener("click", function () { showMore(latest); });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    input.value = query;
    search(query);
  }
})();
