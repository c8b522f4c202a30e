// Start Pagefind's search box.  Result URLs in the index start at the site root,
// so tell Pagefind where that root is for this page (the site may live under a sub-path).
(function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  var base = new URL(box.getAttribute("data-root"), window.location.href).pathname;
  // The index comes in shards by month; older months are merged into the main one.
  var merged = (box.getAttribute("data-merge") || "").split(" ").filter(Boolean).map(function (path) {
    return { bundlePath: base + path };
  });
  new PagefindUI({ element: "#search", baseUrl: base, showImages: false, showSubResults: false,
                   bundlePath: base + "pagefind/", mergeIndex: merged });
  var input = box.querySelector("input");
  if (!input) return;
  // Pagefind's box has a placeholder but no label: give it an accessible name.
  input.setAttribute("aria-label", "Search papers");
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) {
    input.value = query;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
})();
