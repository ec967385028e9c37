// Progress bar of a bulk regrade: polls the job until every submission is finished, then
// offers to reload the list (its scores changed). A job that had finished before the page
// was rendered just shows 100 %.
(function () {
  "use strict";
  const block = document.querySelector("[data-job-url]");
  if (!block) return;
  const bar = block.querySelector("progress");
  const text = block.querySelector(".progress-text");
  const done = block.querySelector(".progress-done");
  async function poll() {
    const response = await fetch(block.dataset.jobUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const p = await response.json();
    bar.value = p.percent;
    text.textContent = p.done + " / " + p.total + (p.failed ? " (" + p.failed + " ✘)" : "");
    block.dataset.percent = p.percent;
    if (p.done < p.total) setTimeout(poll, 1000);
    else if (done && !block.dataset.finishedBefore) done.hidden = false;
  }
  poll();
})();
