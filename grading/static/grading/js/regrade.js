// Progress bar of a bulk regrade: polls the job until every submission is finished, and
// each time more have finished, refreshes the submissions table from the server (the
// same rows the page renders, `?part=submissions`), marking the rows whose status or
// score changed. A job that had finished before the page was rendered just shows 100 %.
(function () {
  "use strict";
  const block = document.querySelector("[data-job-url]");
  if (!block) return;
  const bar = block.querySelector("progress");
  const text = block.querySelector(".progress-text");
  const done = block.querySelector(".progress-done");
  const rows = document.querySelector(".submission-rows");
  let seen = -1; // finished submissions when the table was last refreshed

  function signature(row) {
    return (row.dataset.status || "") + "|" + (row.dataset.score || "");
  }

  async function refreshRows() {
    if (!rows || !block.dataset.rowsUrl) return;
    const response = await fetch(block.dataset.rowsUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = parsed.querySelector(".submission-rows");
    if (!fresh) return;
    const before = new Map();
    rows.querySelectorAll("tr[data-submission]").forEach(function (row) {
      before.set(row.dataset.submission, signature(row));
    });
    const replacement = [];
    fresh.querySelectorAll("tr").forEach(function (row) {
      const copy = document.importNode(row, true);
      const was = before.get(copy.dataset.submission);
      if (was !== undefined && was !== signature(copy)) copy.classList.add("just-updated");
      replacement.push(copy);
    });
    rows.replaceChildren.apply(rows, replacement);
    block.dataset.rowsRefreshed = String(Number(block.dataset.rowsRefreshed || 0) + 1);
  }

  async function poll() {
    const response = await fetch(block.dataset.jobUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const p = await response.json();
    bar.value = p.percent;
    text.textContent = p.done + " / " + p.total + (p.failed ? " (" + p.failed + " ✘)" : "");
    if (!block.dataset.finishedBefore && p.done !== seen) {
      seen = p.done;
      try {
        await refreshRows();
      } catch (error) {
        // the table stays as it was; the next change tries again
      }
    }
    block.dataset.percent = p.percent;
    if (p.done < p.total) setTimeout(poll, 1000);
    else if (done && !block.dataset.finishedBefore) done.hidden = false;
  }
  poll();
})();
