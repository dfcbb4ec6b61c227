// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Install stays disabled until "I have agreed to the Terms of Service" is checked
  // (the server refuses it too).
  document.querySelectorAll("[data-terms-form]").forEach(function (form) {
    var box = form.querySelector("input[type=checkbox]");
    var button = form.querySelector("[data-requires-terms]");
    if (!box || !button) return;
    var sync = function () { button.disabled = !box.checked; };
    box.addEventListener("change", sync);
    sync();
  });

  // The Terms of Service link in the checkbox label opens the terms instead of ticking the box.
  document.querySelectorAll("[data-open-terms]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var terms = document.getElementById("terms");
      if (!terms) return;
      event.preventDefault();
      terms.open = true;
      terms.querySelector("summary").focus();
    });
  });

  // "Choose profiles" reveals the profile names field.
  document.querySelectorAll("[data-scope-form]").forEach(function (form) {
    var panel = form.querySelector("[data-profiles]");
    var radios = form.querySelectorAll("input[type=radio][name=install_scope]");
    if (!panel || !radios.length) return;
    var sync = function () {
      var chosen = form.querySelector("input[type=radio][name=install_scope]:checked");
      panel.hidden = !(chosen && chosen.value === "profiles");
    };
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });

  // Schedules: while a run is going, refresh the rows every few seconds.
  var rows = document.getElementById("schedule-rows");
  if (rows) {
    var url = rows.getAttribute("data-progress-url");
    var every = (parseFloat(rows.getAttribute("data-poll-seconds")) || 2) * 1000;
    var timer = null;
    var running = function () { return rows.querySelector("tr[data-running]") !== null; };
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          // Keep keyboard focus if it was inside the table.
          var focused = document.activeElement && rows.contains(document.activeElement);
          rows.innerHTML = html;
          rows.setAttribute("data-running", running() ? "true" : "false");
          if (focused) rows.closest("table").focus && rows.closest("table").focus();
          schedule();
        })
        .catch(function () { timer = setTimeout(poll, every * 2); });
    };
    var schedule = function () {
      clearTimeout(timer);
      if (running()) timer = setTimeout(poll, every);
    };
    schedule();
  }
})();
