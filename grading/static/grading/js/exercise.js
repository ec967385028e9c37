// Exercise panels (on the exercise page and in lessons): submit answers, typed or
// uploaded, and follow grading live. Plain JavaScript, no framework, no CDN; texts come
// translated from the server. Each panel works on its own; the script may load twice.
(function () {
  "use strict";
  document.querySelectorAll(".exercise-panel:not([data-ready])").forEach(initPanel);

function initPanel(panel) {
  panel.dataset.ready = "1";
  const strings = JSON.parse(panel.querySelector("script[type='application/json']").textContent);
  const resultBox = panel.querySelector(".live-result");
  const token = panel.querySelector("[name=csrfmiddlewaretoken]");
  const csrf = token ? token.value : ""; // a teacher's read-only panel has no form

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(x) {
    return x === null || x === undefined ? "—" : String(Math.round(x * 100) / 100);
  }

  function render(sub) {
    const box = el("div", { class: "result status-" + sub.status, "data-testid": "result", "data-status": sub.status, "data-submission": sub.id });
    const head = el("p", { class: "result-head" });
    const status = el("strong", { "data-testid": "result-status" }, sub.status_display || strings[sub.status]);
    head.appendChild(status);
    if (sub.status === "queued" || sub.status === "running") {
      head.appendChild(el("span", { class: "spinner", "aria-hidden": "true" }));
      head.appendChild(el("span", { class: "muted" }, " " + strings[sub.status]));
      head.appendChild(el("span", { class: "elapsed muted", role: "timer", "aria-live": "off", "data-testid": "result-elapsed", "data-since": sub.submitted_at }));
    }
    if (sub.status === "graded") {
      head.appendChild(document.createTextNode(" · " + strings.score + " "));
      head.appendChild(el("strong", { "data-testid": "result-score" }, fmt(sub.total) + " / " + fmt(sub.max_total)));
    }
    box.appendChild(head);
    if (sub.status === "failed") box.appendChild(el("p", { class: "msg error" }, sub.failure_reason));
    if (sub.status === "graded") {
      if (sub.outcome && sub.outcome.summary) {
        box.appendChild(el("p", { class: "outcome outcome-" + (sub.outcome.passed ? "passed" : "not-passed"), "data-testid": "result-outcome" }, sub.outcome.summary));
      }
      const list = el("ul", { class: "tests" });
      sub.cells.forEach((c) => {
        const li = el("li", { class: "test test-" + c.status });
        li.appendChild(el("span", { class: "icon", "aria-hidden": "true" }, c.status === "passed" ? "✔" : c.status === "failed" ? "✘" : "…"));
        li.appendChild(el("code", {}, c.grade_id));
        li.appendChild(el("span", { class: "pts" }, " " + fmt(c.score) + " / " + fmt(c.max_score) + " "));
        li.appendChild(el("span", { class: "status" }, c.status === "passed" ? strings.passed : c.status === "failed" ? strings.failed_test : strings.needs_manual));
        if (c.message) li.appendChild(el("div", { class: "message" }, c.message));
        if (c.comment) li.appendChild(el("div", { class: "comment" }, c.comment));
        list.appendChild(li);
      });
      box.appendChild(list);
      if (sub.feedback_url) {
        const link = el("a", { href: sub.feedback_url, "data-testid": "feedback-link" }, strings.feedback);
        box.appendChild(el("p")).appendChild(link);
      }
    }
    resultBox.replaceChildren(box);
    tickElapsed();
  }

  // How long an attempt has been waiting or in grading, counted on the server's clock
  // (the panel says the server's time when it was rendered).
  const skew = panel.dataset.now ? Number(panel.dataset.now) * 1000 - Date.now() : 0;
  function tickElapsed() {
    panel.querySelectorAll(".elapsed[data-since]").forEach((node) => {
      const since = Date.parse(node.dataset.since);
      if (Number.isNaN(since)) return;
      const seconds = Math.max(0, Math.floor((Date.now() + skew - since) / 1000));
      node.textContent = " · " + strings.elapsed.replace("{seconds}", seconds);
    });
  }
  setInterval(tickElapsed, 1000);

  function addAttemptRow(sub) {
    const body = panel.querySelector(".attempt-rows");
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    let row = body.querySelector('tr[data-id="' + sub.id + '"]');
    if (!row) {
      row = el("tr", { "data-id": sub.id });
      body.prepend(row);
    }
    row.replaceChildren(
      el("td", {}, sub.attempt),
      el("td", {}, new Date(sub.submitted_at).toLocaleString()),
      el("td", {}, sub.origin_display || sub.origin),
      el("td", {}, sub.status_display),
      el("td", { class: "num" }, sub.total === null ? "" : fmt(sub.total) + " / " + fmt(sub.max_total))
    );
    const used = panel.querySelector("[data-testid=attempts-used]");
    if (used) used.textContent = body.querySelectorAll("tr").length;
  }

  async function follow(sub) {
    render(sub);
    addAttemptRow(sub);
    let delay = 300;
    while (sub.status === "queued" || sub.status === "running") {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 2000);
      const response = await fetch("/api/v1/submissions/" + sub.id + "/", { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      sub = await response.json();
      render(sub);
      addAttemptRow(sub);
    }
  }

  function showError(message) {
    const box = el("div", { class: "msg error", role: "alert", "data-testid": "submit-error" }, message);
    resultBox.replaceChildren(box);
  }

  async function submit(url, init, button) {
    button.disabled = true;
    const original = button.textContent;
    button.textContent = strings.submitting;
    try {
      const response = await fetch(url, Object.assign({ method: "POST", credentials: "same-origin" }, init));
      const body = await response.json();
      if (!response.ok) {
        const details = body.errors && body.errors.notebook ? " " + body.errors.notebook.join(" ") : "";
        showError((body.detail || String(response.status)) + (body.code === "invalid_notebook" ? details : ""));
        return;
      }
      await follow(body);
    } catch (err) {
      showError(strings.network_error);
    } finally {
      button.disabled = false;
      button.textContent = original;
    }
  }

  const answerForm = panel.querySelector(".answer-form");
  if (answerForm) {
    answerForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const answers = {};
      answerForm.querySelectorAll("textarea[data-answer]").forEach((t) => { answers[t.dataset.answer] = t.value; });
      submit(answerForm.dataset.submitUrl, {
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ answers: answers }),
      }, answerForm.querySelector("button[type=submit]"));
    });
  }
  const uploadForm = panel.querySelector(".upload-form");
  if (uploadForm) {
    uploadForm.addEventListener("submit", (event) => {
      const file = uploadForm.querySelector("input[type=file]");
      if (!file || !file.files.length) return; // let the server explain
      event.preventDefault();
      const data = new FormData();
      data.append("notebook", file.files[0]);
      submit(uploadForm.dataset.submitUrl, { headers: { "X-CSRFToken": csrf, Accept: "application/json" }, body: data },
        uploadForm.querySelector("button[type=submit]"));
    });
  }
  // A page opened while the latest attempt is still being graded follows it too.
  const pending = resultBox.querySelector("[data-status=queued], [data-status=running]");
  const latest = resultBox.querySelector("[data-submission]");
  if (pending && latest) {
    fetch("/api/v1/submissions/" + latest.dataset.submission + "/", { credentials: "same-origin" })
      .then((r) => r.json()).then(follow).catch(() => showError(strings.network_error));
  }
}
})();
