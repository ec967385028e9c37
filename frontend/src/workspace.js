// The student's notebook workspace on the exercise panel (exercise page and lessons):
// code editors (CodeMirror 6) over the answer textareas, Run / Run all / Check / Stop
// against the run API, outputs under each cell, drafts saved as the student types.
//
// Progressive enhancement: the server renders every cell, the answers (from the draft)
// in textareas and the toolbar hidden. This script puts an editor in front of each code
// textarea and keeps the textarea's value in step, so the submit script (exercise.js)
// and a page without JavaScript work as before. Texts come translated from the server
// (data-* of .ws-strings). No inline script or style attribute; the editor's own style
// element carries the page's CSP nonce (EditorView.cspNonce).
//
// Built by `make assets` (esbuild) into grading/static/grading/js/workspace.js.

import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { EditorState, Prec } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import DOMPurify from "dompurify";
import { marked } from "marked";

// The page's CSP nonce, which this script's own element carries: CodeMirror puts its
// styles in a style element, which the policy allows with this nonce only.
const NONCE = (document.currentScript && document.currentScript.nonce) || "";
const SAVE_DELAY_MS = 1000; // a draft is saved this long after the last keystroke
const POLL_FIRST_MS = 150; // a run is polled this soon, then less and less often
const POLL_MAX_MS = 1000;
const FINISHED = new Set(["done", "failed"]);
// What may come out of sanitized HTML: no style (the CSP refuses it), no image from
// elsewhere (idem), nothing that submits or runs.
const PURIFY = {
  FORBID_TAGS: ["style", "img", "form", "input", "button", "textarea", "select", "iframe"],
  FORBID_ATTR: ["style"],
};

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}

function withoutAnsi(text) {
  // IPython colours tracebacks with terminal escapes; a page shows them as garbage
  return String(text).replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

function seconds(value) {
  return (Math.round(Number(value || 0) * 10) / 10).toFixed(1);
}

// ---------------------------------------------------------------------------------------
// Editors
// ---------------------------------------------------------------------------------------

function codeEditor({ doc, parent, readOnly, attributes, onChange, onRun, onSave }) {
  const extensions = [
    lineNumbers(),
    highlightSpecialChars(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    python(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    EditorView.contentAttributes.of(attributes),
    EditorView.cspNonce.of(NONCE),
  ];
  if (readOnly) {
    extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
  } else {
    extensions.push(
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      drawSelection(),
      indentOnInput(),
      closeBrackets(),
      Prec.highest(
        keymap.of([
          { key: "Shift-Enter", run: () => (onRun ? (onRun(), true) : false) },
          { key: "Mod-s", preventDefault: true, run: () => (onSave(), true) },
        ])
      ),
      // Tab indents (Shift-Tab outdents); Escape then Tab leaves the editor (CodeMirror's
      // documented escape hatch for keyboard users, announced in .ws-keys).
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorView.domEventHandlers({ beforeinput: typeOverLines }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange(update.state.doc.toString());
      })
    );
  }
  return new EditorView({ parent, state: EditorState.create({ doc, extensions }) });
}

// Text typed over a selection of several lines, or text of several lines inserted at once,
// is put in here rather than by the browser's own editing, which merges or splits the
// lines' elements with style attributes the page's CSP refuses (CodeMirror would redraw
// them anyway). Bracket closing still sees the typed text.
function typeOverLines(event, view) {
  const { from, to } = view.state.selection.main;
  const text = event.data;
  if (event.inputType !== "insertText" || !text || view.composing) return false;
  const doc = view.state.doc;
  if (!text.includes("\n") && doc.lineAt(from).number === doc.lineAt(to).number) return false;
  event.preventDefault();
  const insert = () => view.state.update(view.state.replaceSelection(text), { userEvent: "input.type" });
  if (!view.state.facet(EditorView.inputHandler).some((handler) => handler(view, from, to, text, insert))) {
    view.dispatch(insert());
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// One exercise panel
// ---------------------------------------------------------------------------------------

function initPanel(panel) {
  panel.dataset.workspace = "1";
  const form = panel.querySelector(".answer-form");
  const toolbar = panel.querySelector(".ws-toolbar");
  const strings = (panel.querySelector(".ws-strings") || { dataset: {} }).dataset;
  const editable = Boolean(form && toolbar);
  const keysHint = panel.querySelector(".ws-keys");
  const views = new Map(); // grade_id -> EditorView of an answer cell
  let applying = false; // set while the script itself replaces the answers

  // --- cells ---------------------------------------------------------------------------
  panel.querySelectorAll(".nb-cells > li.nb-code").forEach((li) => {
    const pre = li.querySelector("pre");
    if (!pre) return;
    const holder = el("div", { class: "ws-editor ws-locked" });
    pre.after(holder);
    pre.hidden = true;
    const name = li.dataset.gradeId ? strings.locked + " · " + li.dataset.gradeId : strings.locked;
    codeEditor({
      doc: pre.textContent,
      parent: holder,
      readOnly: true,
      attributes: { "aria-label": name || "", role: "textbox", "aria-readonly": "true" },
    });
  });

  panel.querySelectorAll(".nb-cells > li.nb-answer").forEach((li) => {
    const textarea = li.querySelector("textarea[data-answer]");
    if (!textarea) return;
    const gradeId = textarea.dataset.answer;
    if (li.dataset.cellType === "markdown") {
      if (!editable || textarea.readOnly) return;
      textarea.addEventListener("input", () => scheduleSave());
      textarea.addEventListener("keydown", (event) => {
        if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
          event.preventDefault();
          saveNow(true);
        }
      });
      setUpPreview(li, textarea);
      return;
    }
    const label = li.querySelector("label");
    const holder = el("div", { class: "ws-editor" + (textarea.readOnly ? " ws-locked" : "") });
    textarea.after(holder);
    textarea.hidden = true;
    const attributes = { "aria-multiline": "true" };
    if (label) attributes["aria-labelledby"] = label.id;
    if (keysHint && editable && !textarea.readOnly) attributes["aria-describedby"] = keysHint.id;
    const view = codeEditor({
      doc: textarea.value,
      parent: holder,
      readOnly: textarea.readOnly || !editable,
      attributes,
      onChange: (text) => {
        textarea.value = text;
        if (!applying) scheduleSave();
      },
      onRun: () => startRun("run", gradeId),
      onSave: () => saveNow(true),
    });
    views.set(gradeId, view);
    // the label names the hidden textarea; a click on it goes to the editor instead
    if (label) label.addEventListener("click", (event) => {
      event.preventDefault();
      view.focus();
    });
  });

  if (!editable) return;
  toolbar.hidden = false;
  if (keysHint) keysHint.hidden = false;
  panel.querySelectorAll(".nb-cell-actions").forEach((box) => { box.hidden = false; });

  const csrfInput = form.querySelector("[name=csrfmiddlewaretoken]");
  const csrf = csrfInput ? csrfInput.value : "";
  const runsUrl = toolbar.dataset.runsUrl;
  const draftUrl = toolbar.dataset.draftUrl;
  const statusBox = panel.querySelector(".ws-status");
  const testsBox = panel.querySelector(".ws-tests");
  const saveState = toolbar.querySelector(".ws-save");
  const stopButton = toolbar.querySelector(".ws-stop");
  const runButtons = () => panel.querySelectorAll(".ws-run, .ws-run-all, .ws-check");

  function headers(json) {
    const h = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  function answers() {
    const result = {};
    form.querySelectorAll("textarea[data-answer]").forEach((t) => { result[t.dataset.answer] = t.value; });
    return result;
  }

  async function problem(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return body.detail;
    } catch (err) {
      // not JSON: say the status
    }
    return String(response.status);
  }

  function say(text, kind) {
    statusBox.hidden = false;
    statusBox.className = "ws-status" + (kind ? " msg " + kind : "");
    statusBox.setAttribute("data-kind", kind || "info");
    statusBox.replaceChildren(text);
  }

  // --- markdown answers: a live preview ------------------------------------------------
  function setUpPreview(li, textarea) {
    const toggle = li.querySelector(".ws-preview-toggle");
    const preview = li.querySelector(".ws-preview");
    if (!toggle || !preview) return;
    const render = () => {
      const text = textarea.value.trim();
      if (!text) {
        preview.replaceChildren(el("p", { class: "muted" }, strings.previewEmpty));
        return;
      }
      preview.innerHTML = DOMPurify.sanitize(marked.parse(text, { async: false }), PURIFY);
    };
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? strings.previewHide : strings.previewShow;
      preview.hidden = !open;
      if (open) render();
    });
    textarea.addEventListener("input", () => { if (!preview.hidden) render(); });
  }

  // --- drafts --------------------------------------------------------------------------
  let dirty = false;
  let saveTimer = null;
  let saving = Promise.resolve();

  function scheduleSave() {
    dirty = true;
    saveState.textContent = strings.unsaved;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => saveNow(false), SAVE_DELAY_MS);
  }

  function saveNow(force) {
    clearTimeout(saveTimer);
    if (!dirty && !force) return saving;
    dirty = false;
    saving = saving.then(async () => {
      saveState.textContent = strings.saving;
      try {
        const response = await fetch(draftUrl, {
          method: "PUT",
          credentials: "same-origin",
          headers: headers(true),
          body: JSON.stringify({ answers: answers() }),
        });
        if (!response.ok) {
          const why = await problem(response);
          saveState.textContent = "";
          say(strings.saveFailed + " " + why, "error");
          return;
        }
        const body = await response.json();
        if (dirty) {
          saveState.textContent = strings.unsaved; // typed on while this one was saved
          return;
        }
        const at = body.updated_at ? new Date(body.updated_at) : new Date();
        saveState.textContent = format(strings.saved, {
          time: at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
        });
        saveState.dataset.saved = "1";
      } catch (err) {
        dirty = true; // try again with the next change, or now on Ctrl+S
        saveState.textContent = strings.saveFailed + " " + strings.network;
      }
    });
    return saving;
  }

  // Leaving with unsaved changes: one last save the browser sends even as the page goes.
  window.addEventListener("pagehide", () => {
    if (!dirty) return;
    dirty = false;
    fetch(draftUrl, {
      method: "PUT",
      credentials: "same-origin",
      keepalive: true,
      headers: headers(true),
      body: JSON.stringify({ answers: answers() }),
    }).catch(() => {});
  });

  // --- reset ---------------------------------------------------------------------------
  const dialog = panel.querySelector(".ws-reset-dialog");
  toolbar.querySelector(".ws-reset").addEventListener("click", () => {
    if (dialog && typeof dialog.showModal === "function") dialog.showModal();
    else if (window.confirm(dialog ? dialog.textContent.trim() : "")) reset(); // an old browser
  });
  if (dialog) {
    dialog.querySelector(".ws-reset-cancel").addEventListener("click", () => dialog.close("cancel"));
    dialog.querySelector(".ws-reset-confirm").addEventListener("click", () => dialog.close("reset"));
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "reset") reset();
      dialog.returnValue = "";
      toolbar.querySelector(".ws-reset").focus();
    });
  }

  async function reset() {
    clearTimeout(saveTimer);
    dirty = false;
    await saving;
    try {
      const response = await fetch(draftUrl, {
        method: "DELETE",
        credentials: "same-origin",
        headers: headers(false),
      });
      if (!response.ok) {
        say(await problem(response), "error");
        return;
      }
      const body = await response.json();
      applying = true;
      try {
        form.querySelectorAll("textarea[data-answer]").forEach((textarea) => {
          const original = body.answers[textarea.dataset.answer];
          if (original === undefined) return;
          textarea.value = original;
          textarea.dispatchEvent(new Event("change"));
          const view = views.get(textarea.dataset.answer);
          if (view) {
            view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: original } });
          }
        });
      } finally {
        applying = false;
      }
      dirty = false;
      clearOutputs();
      saveState.textContent = "";
      say(strings.resetDone, "success");
    } catch (err) {
      say(strings.network, "error");
    }
  }

  // --- runs ----------------------------------------------------------------------------
  let current = null; // the run being followed: {id, url, started}
  let ticker = null;

  function setRunning(running) {
    runButtons().forEach((b) => { b.disabled = running; });
    stopButton.disabled = !running;
    panel.classList.toggle("ws-is-running", running);
  }

  function cellFor(result) {
    if (result.index !== undefined && result.index !== null) {
      const byIndex = panel.querySelector('.nb-cells > li[data-index="' + result.index + '"]');
      if (byIndex) return byIndex;
    }
    if (result.grade_id) {
      return Array.from(panel.querySelectorAll(".nb-cells > li[data-grade-id]")).find(
        (li) => li.dataset.gradeId === result.grade_id
      );
    }
    return null;
  }

  function outputBox(li) {
    let box = li.querySelector(":scope > .nb-output");
    if (!box) {
      box = el("div", { class: "nb-output", "data-testid": "cell-output", role: "group" });
      box.setAttribute("aria-label", strings.output + (li.dataset.gradeId ? " · " + li.dataset.gradeId : ""));
      li.appendChild(box);
    }
    return box;
  }

  function clearOutputs() {
    panel.querySelectorAll(".nb-output").forEach((box) => box.remove());
    panel.querySelectorAll(".nb-cells > li.ws-cell-running, .nb-cells > li.ws-cell-error").forEach(
      (li) => li.classList.remove("ws-cell-running", "ws-cell-error")
    );
    testsBox.hidden = true;
    testsBox.replaceChildren();
  }

  function renderOutput(output) {
    switch (output.type) {
      case "stream":
        return el("pre", { class: "out-stream out-" + (output.name || "stdout") }, withoutAnsi(output.text || ""));
      case "text":
        return el("pre", { class: "out-text" }, withoutAnsi(output.text || ""));
      case "error": {
        const box = el("div", { class: "out-error", "data-testid": "cell-error" });
        box.appendChild(el("p", { class: "out-error-head" }, [output.ename, output.evalue].filter(Boolean).join(": ")));
        const trace = Array.isArray(output.traceback) ? output.traceback.join("\n") : output.traceback || "";
        if (trace) box.appendChild(el("pre", { class: "out-traceback" }, withoutAnsi(trace)));
        return box;
      }
      case "image": {
        const mime = /^image\/(png|jpeg|gif|svg\+xml|webp)$/.test(output.mime || "") ? output.mime : "image/png";
        return el("img", { class: "out-image", alt: strings.image, src: "data:" + mime + ";base64," + (output.data || "") });
      }
      case "html": {
        const box = el("div", { class: "out-html" });
        // sanitized by the server already; once more here, for the page's CSP
        box.innerHTML = DOMPurify.sanitize(output.html || "", PURIFY);
        return box;
      }
      default:
        return null;
    }
  }

  function renderCells(run) {
    for (const result of run.cells || []) {
      const li = cellFor(result);
      if (!li) continue;
      const box = outputBox(li);
      const nodes = (result.outputs || []).map(renderOutput).filter(Boolean);
      li.classList.toggle("ws-cell-running", result.status === "running");
      li.classList.toggle("ws-cell-error", (result.outputs || []).some((o) => o.type === "error"));
      if (result.status === "running" || result.status === "queued") {
        nodes.push(el("p", { class: "muted ws-cell-state" }, strings.cellRunning));
      }
      box.dataset.status = result.status || "";
      box.replaceChildren(...nodes);
      if (!nodes.length) box.remove();
    }
  }

  function renderTests(run) {
    if (run.kind !== "check" || !FINISHED.has(run.status)) return;
    const tests = run.tests || [];
    testsBox.hidden = false;
    if (!tests.length) {
      testsBox.replaceChildren(el("p", { class: "muted" }, strings.noTests));
      return;
    }
    const passed = tests.filter((t) => t.passed).length;
    const list = el("ul", { class: "tests" });
    for (const test of tests) {
      const li = el("li", { class: "test " + (test.passed ? "test-passed" : "test-failed"), "data-grade-id": test.grade_id });
      li.appendChild(el("span", { class: "icon", "aria-hidden": "true" }, test.passed ? "✔" : "✘"));
      li.appendChild(el("code", {}, test.grade_id));
      li.appendChild(el("span", { class: "status" }, " " + (test.passed ? strings.passed : strings.failedTest)));
      if (test.message) li.appendChild(el("div", { class: "message" }, withoutAnsi(test.message)));
      list.appendChild(li);
    }
    testsBox.replaceChildren(
      el("p", { class: "ws-tests-summary" }, format(strings.testsSummary, { passed, total: tests.length })),
      list
    );
  }

  function showRun(run) {
    renderCells(run);
    renderTests(run);
    if (run.status === "queued") say(strings.queued);
    else if (run.status === "running") {
      statusBox.hidden = false;
      statusBox.className = "ws-status";
      statusBox.dataset.kind = "running";
      const elapsed = statusBox.querySelector(".ws-elapsed");
      if (!elapsed || statusBox.dataset.state !== "running") {
        statusBox.replaceChildren(
          el("span", { class: "spinner", "aria-hidden": "true" }),
          " " + strings.running + " ",
          el("span", { class: "ws-elapsed muted", "aria-hidden": "true", "data-testid": "run-elapsed" })
        );
      }
      current.elapsed = Number(run.elapsed_s || 0);
      current.seen = Date.now();
      tick();
    } else if (run.status === "done") say(format(strings.done, { seconds: seconds(run.elapsed_s) }), "success");
    else if (run.status === "failed") say(run.error || strings.failed, current && current.stopping ? "warning" : "error");
    statusBox.dataset.state = run.status;
    statusBox.dataset.run = run.id || "";
  }

  function tick() {
    const box = statusBox.querySelector(".ws-elapsed");
    if (!box || !current) return;
    const since = current.elapsed + (Date.now() - current.seen) / 1000;
    box.textContent = format(strings.elapsed, { seconds: seconds(since) });
  }

  async function follow(run) {
    let delay = POLL_FIRST_MS;
    let failures = 0;
    showRun(run);
    ticker = setInterval(tick, 100);
    try {
      while (!FINISHED.has(run.status)) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(Math.round(delay * 1.3), POLL_MAX_MS);
        let response;
        try {
          response = await fetch(current.url, { credentials: "same-origin", headers: headers(false) });
        } catch (err) {
          if (++failures >= 5) throw err;
          continue;
        }
        if (!response.ok) {
          if (response.status === 429 || response.status >= 500) {
            if (++failures < 5) { delay = POLL_MAX_MS; continue; }
          }
          say(await problem(response), "error");
          return;
        }
        failures = 0;
        run = await response.json();
        showRun(run);
      }
    } finally {
      clearInterval(ticker);
    }
  }

  async function startRun(kind, upto) {
    if (current) {
      say(strings.busy, "warning");
      return;
    }
    current = { url: null };
    setRunning(true);
    try {
      saveNow(true); // every run saves the draft too (not waited for: the run is what counts)
      clearOutputs();
      say(strings.queued);
      const body = { answers: answers(), kind };
      if (upto) body.upto = upto;
      const response = await fetch(runsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: headers(true),
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        say(await problem(response), "error");
        return;
      }
      const run = await response.json();
      current = { id: run.id, url: run.url || "/api/v1/runs/" + run.id + "/", elapsed: 0, seen: Date.now() };
      await follow(run);
    } catch (err) {
      say(strings.network, "error");
    } finally {
      current = null;
      setRunning(false);
    }
  }

  async function stop() {
    if (!current || !current.id) return;
    stopButton.disabled = true;
    current.stopping = true;
    say(strings.stopping);
    try {
      const response = await fetch("/api/v1/runs/" + current.id + "/stop/", {
        method: "POST",
        credentials: "same-origin",
        headers: headers(false),
      });
      if (!response.ok && response.status !== 409) say(await problem(response), "error");
    } catch (err) {
      say(strings.network, "error");
    }
  }

  toolbar.querySelector(".ws-run-all").addEventListener("click", () => startRun("run", null));
  toolbar.querySelector(".ws-check").addEventListener("click", () => startRun("check", null));
  stopButton.addEventListener("click", stop);
  panel.querySelectorAll(".nb-cells .ws-run").forEach((button) => {
    button.addEventListener("click", () => startRun("run", button.dataset.runUpto));
  });
}

function start() {
  document.querySelectorAll(".exercise-panel:not([data-workspace])").forEach(initPanel);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
