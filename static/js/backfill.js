// Backfill and Preview pages: while something is under way, replace the live region with
// a fresh copy of it every few seconds (the server renders it; no data in the script).
(function () {
  var box = document.getElementById("backfill-live");
  if (!box || box.getAttribute("data-live") !== "true") return;
  var seconds = parseInt(box.getAttribute("data-poll-seconds"), 10) || 3;
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("backfill-live");
        if (!fresh) return;
        box.innerHTML = fresh.innerHTML;
        if (fresh.getAttribute("data-live") === "true") setTimeout(poll, seconds * 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, seconds * 4000); });
  }
  setTimeout(poll, seconds * 1000);
})();
