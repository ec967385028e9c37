// The reports dashboard's downloads: ask for a file, follow its build, then fetch it.
// A static file (the Content-Security-Policy runs no inline script); the translated
// sentences come from the downloads box's data-building and data-failed attributes.
(function () {
  "use strict";
  var box = document.querySelector('[data-testid="downloads"]');
  if (!box) return;
  var progress = box.querySelector('[data-testid="build-progress"]');
  var status = box.querySelector('[data-testid="build-status"]');
  var building = box.dataset.building, failed = box.dataset.failed;
  box.querySelectorAll("form.report-build").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      progress.hidden = false; progress.value = 0; status.textContent = building;
      fetch(form.action, {method: "POST", body: new FormData(form), headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data.status_url) { status.textContent = data.detail || failed; return; }
          (function poll() {
            fetch(data.status_url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
              progress.value = s.progress;
              if (s.status === "done") { progress.hidden = true; status.textContent = ""; window.location.href = s.download_url; }
              else if (s.status === "failed") { status.textContent = failed + " " + s.error; }
              else { setTimeout(poll, 500); }
            });
          })();
        });
    });
  });
})();
