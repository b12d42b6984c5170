/* The search page: Pagefind's UI, which fetches only the index chunks a query needs.
   The language index follows <html lang>; ?q= from the search box in the bar runs at once. */
(function () {
  "use strict";
  var box = document.querySelector("[data-th-search]");
  if (!box || typeof PagefindUI === "undefined") return;
  var ui = new PagefindUI({
    element: "#" + box.id,
    bundlePath: box.dataset.bundle,
    showImages: false,
    showSubResults: true,
    resetStyles: false,
    translations: { placeholder: box.dataset.placeholder }
  });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
