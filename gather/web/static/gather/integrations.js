// Settings → Integrations: task progress updates in place while a backfill runs (no page
// reload, so whatever is being typed in a form stays). Without this file the pages still
// work: they reload themselves (<noscript>). Confirmations (data-confirm) are gather.js's.
(() => {
  "use strict";

  const BUSY = ["pending", "backfilling"];
  const STOPPED = ["paused", "error"];
  const EVERY_MS = 2000;

  const box = document.querySelector("[data-task-status]");
  if (!box) return;

  function field(scope, name) {
    return scope.querySelector(`[data-field="${name}"]`);
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function renderError(el, task) {
    if (!el) return;
    el.replaceChildren();
    if (!task.error) {
      el.textContent = "none";
      return;
    }
    const span = document.createElement("span");
    span.className = "error";
    span.textContent = task.error;
    el.append(span);
    if (task.status === "error" && document.getElementById("key")) {
      const link = document.createElement("a");
      link.href = "#key";
      link.textContent = "Update key";
      el.append(" ", link);
    }
  }

  function renderToggle(form, status) {
    if (!form) return;
    const action = STOPPED.includes(status) ? "resume" : "pause";
    const url = form.getAttribute("action").replace(/\/(pause|resume)$/, `/${action}`);
    if (form.getAttribute("action") === url) return;
    form.setAttribute("action", url);
    setText(form.querySelector("button"), action === "resume" ? "Resume" : "Pause");
  }

  function render(task) {
    for (const scope of document.querySelectorAll(`[data-task="${task.id}"]`)) {
      const badge = field(scope, "status");
      if (badge) {
        badge.className = `status status-${task.status}`;
        setText(badge, task.status);
      }
      setText(field(scope, "progress"), task.progress_text);
      const running = field(scope, "running");
      if (running) running.hidden = !BUSY.includes(task.status);
      setText(field(scope, "last_synced_at"), task.last_synced_at || "not yet");
      const errorBox = field(scope, "error");
      if (errorBox && errorBox.dataset.shown !== `${task.status}|${task.error}`) {
        renderError(errorBox, task);
        errorBox.dataset.shown = `${task.status}|${task.error}`;
      }
      setText(field(scope, "keep_current"), task.keep_current.message || "");
      const problem = task.keep_current.delivery_problem || "";
      setText(field(scope, "delivery_problem"), problem);
      for (const name of ["delivery_label", "delivery_box"]) {
        const el = field(scope, name);
        if (el) el.hidden = !problem;
      }
      renderToggle(field(scope, "toggle"), task.status);
    }
  }

  async function refresh() {
    let body;
    try {
      const response = await fetch(box.dataset.taskStatus, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      body = await response.json();
    } catch (error) {
      window.setTimeout(refresh, EVERY_MS * 3); // e.g. the server restarting: try again
      return;
    }
    body.tasks.forEach(render);
    if (body.busy) window.setTimeout(refresh, EVERY_MS);
  }

  const busyNow = [...document.querySelectorAll('[data-task] [data-field="status"]')].some(
    (el) => BUSY.includes(el.textContent.trim()),
  );
  if (busyNow) window.setTimeout(refresh, EVERY_MS);
})();
