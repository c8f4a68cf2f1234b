// Views: progressive enhancement of the server-rendered grid. Without this file every
// page still reads, sorts, pages, filters and searches through plain links and forms.
(() => {
  "use strict";
  document.documentElement.classList.add("js");

  const root = () => document.getElementById("view-root");
  const opsConfig = () => {
    const el = document.getElementById("ops-by-type");
    return el ? JSON.parse(el.textContent) : { ops: {}, noValue: [], twoValues: [] };
  };

  // ---- the URL that carries the grid's state -------------------------------------------
  function stateParams() {
    const r = root();
    const params = new URLSearchParams(r ? r.dataset.state.replace(/^\?/, "") : "");
    params.delete("cursor");
    params.delete("back");
    params.set("edit", "1");
    return params;
  }
  function viewUrl(params) {
    return `/views/${root().dataset.view}?${params.toString()}`;
  }

  // ---- navigation without full reloads ---------------------------------------------------
  let pending = null;
  async function navigate(url, { push = true, replace = false, keepFocus = false } = {}) {
    const r = root();
    if (!r) { window.location.href = url; return; }
    if (pending) pending.abort();
    pending = new AbortController();
    r.classList.add("loading");
    const active = document.activeElement;
    const focusName = keepFocus && active && active.name ? active.name : null;
    let caret = focusName && active.selectionStart != null ? active.selectionStart : null;
    let response, html;
    try {
      response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, signal: pending.signal });
      html = await response.text();
    } catch (err) {
      if (err.name !== "AbortError") window.location.href = url;
      return;
    }
    const typed = focusName && document.activeElement === active ? active.value : null;
    if (typed != null && active.selectionStart != null) caret = active.selectionStart;
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.getElementById("view-root");
    if (!fresh) { window.location.href = response.url || url; return; }
    r.replaceWith(fresh);
    document.title = doc.title;
    if (replace) history.replaceState({ pjax: true }, "", response.url || url);
    else if (push) history.pushState({ pjax: true }, "", response.url || url);
    enhance(fresh);
    if (focusName) {
      const again = fresh.querySelector(`[name="${focusName}"]`);
      if (again) {
        if (typed != null && again.value !== typed) {
          // the user kept typing while the page loaded: keep it, and search again for it
          const changed = again.value.trim() !== typed.trim();
          again.value = typed;
          if (changed) again.dispatchEvent(new Event("input", { bubbles: true }));
        }
        again.focus();
        if (caret != null && again.setSelectionRange) again.setSelectionRange(caret, caret);
      }
    }
  }
  window.addEventListener("popstate", () => {
    if (root()) navigate(window.location.href, { push: false });
  });

  function formUrl(form) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) params.append(k, v);
    return `${form.action}?${params.toString()}`;
  }

  document.addEventListener("click", (event) => {
    const sortLink = event.target.closest("th a.sort");
    if (sortLink && event.shiftKey) {
      event.preventDefault();
      addSortKey(sortLink.closest("th").dataset.path);
      return;
    }
    const link = event.target.closest("a[data-pjax]");
    if (link && !event.metaKey && !event.ctrlKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      navigate(link.href);
      return;
    }
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, select")) {
      if (window.getSelection().toString()) return; // selecting text, not opening
      window.location.href = row.dataset.href;
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented) return; // a declined data-confirm (gather.js)
    if (form.matches("form[data-pjax]") && form.method.toLowerCase() === "get") {
      event.preventDefault();
      navigate(formUrl(form));
    }
  });

  // ---- sorting: shift-click adds a key, again flips it, a third time drops it ----------
  function addSortKey(path) {
    const keys = (root().dataset.sort || "").split(",").filter(Boolean)
      .map((k) => ({ field: k.replace(/^-/, ""), desc: k.startsWith("-") }));
    const found = keys.find((k) => k.field === path);
    if (!found) keys.push({ field: path, desc: false });
    else if (!found.desc) found.desc = true;
    else keys.splice(keys.indexOf(found), 1);
    const params = stateParams();
    const text = keys.map((k) => (k.desc ? "-" : "") + k.field).join(",");
    if (text) params.set("sort", text); else params.delete("sort");
    navigate(viewUrl(params));
  }

  // ---- columns: drag headers (or menu entries) to reorder ------------------------------
  function withColumns(paths) {
    const params = stateParams();
    params.delete("col");
    paths.forEach((p) => params.append("col", p));
    return viewUrl(params);
  }

  function dragSort(container, itemSelector, onDrop, horizontal) {
    let dragged = null;
    container.addEventListener("dragstart", (e) => {
      dragged = e.target.closest(itemSelector);
      if (!dragged) return;
      dragged.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.dataset.path);
    });
    const clear = () => container.querySelectorAll(".drop-before, .drop-after")
      .forEach((el) => el.classList.remove("drop-before", "drop-after"));
    container.addEventListener("dragover", (e) => {
      const over = e.target.closest(itemSelector);
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      clear();
      const box = over.getBoundingClientRect();
      const after = horizontal ? e.clientX > box.left + box.width / 2 : e.clientY > box.top + box.height / 2;
      over.classList.add(after ? "drop-after" : "drop-before");
    });
    container.addEventListener("dragleave", (e) => { if (!container.contains(e.relatedTarget)) clear(); });
    container.addEventListener("drop", (e) => {
      const over = e.target.closest(itemSelector);
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      const after = over.classList.contains("drop-after");
      clear();
      over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
      onDrop();
    });
    container.addEventListener("dragend", () => {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      clear();
    });
  }

  // ---- the filter builder --------------------------------------------------------------
  function syncRow(row) {
    const cfg = opsConfig();
    const field = row.querySelector("select[name=ff]");
    const op = row.querySelector("select[name=fo]");
    const chosen = field.selectedOptions[0];
    const type = chosen && chosen.dataset.type ? chosen.dataset.type : "string";
    const ops = cfg.ops[type] || cfg.ops.string || [];
    if (row.dataset.type !== type) {
      const keep = op.value;
      op.innerHTML = "";
      ops.forEach(([value, label]) => op.add(new Option(label, value, false, value === keep)));
      row.dataset.type = type;
    }
    row.classList.toggle("two", cfg.twoValues.includes(op.value));
    row.classList.toggle("novalue", cfg.noValue.includes(op.value));
    const v1 = row.querySelector("input[name=fv]");
    // Charge amounts are typed as shown (19.99 for $19.99), whatever the currency.
    const money = chosen && chosen.dataset.money ? "amount, e.g. 19.99" : "value";
    const when = type === "datetime" ? "YYYY-MM-DD" : money;
    v1.placeholder = op.value === "within" ? "days" : op.value === "in" ? "a, b, c" : when;
    v1.type = op.value === "within" ? "number" : "text";
    row.querySelector("input[name=fv2]").placeholder = type === "datetime" ? "YYYY-MM-DD" : "to";
  }

  function newRow(group) {
    const tpl = document.getElementById("filter-row-template");
    const row = tpl.content.firstElementChild.cloneNode(true);
    row.querySelector("input[name=fg]").value = String(group);
    row.dataset.type = "";
    syncRow(row);
    return row;
  }

  function enhanceFilters(scope) {
    const panel = scope.querySelector(".filter-panel");
    if (!panel) return;
    panel.querySelectorAll(".frow").forEach((row) => {
      const chosen = row.querySelector("select[name=ff]").selectedOptions[0];
      row.dataset.type = chosen && chosen.dataset.type ? chosen.dataset.type : "";
      syncRow(row);
    });
    panel.addEventListener("change", (e) => {
      const row = e.target.closest(".frow");
      if (row) syncRow(row);
    });
    panel.addEventListener("click", (e) => {
      const add = e.target.closest(".add-row");
      if (add) {
        const group = add.closest(".fgroup");
        const row = newRow(group.dataset.group);
        group.insertBefore(row, add);
        row.querySelector("select[name=ff]").focus();
        return;
      }
      if (e.target.closest(".add-group")) {
        const groups = [...panel.querySelectorAll(".fgroup")].map((g) => Number(g.dataset.group));
        const n = Math.max(0, ...groups) + 1;
        const box = document.createElement("div");
        box.className = "fgroup or";
        box.dataset.group = String(n);
        box.innerHTML = '<div class="fgroup-label">and any of</div>' +
          '<button type="button" class="link add-row">+ Add “or” condition</button>';
        const row = newRow(n);
        box.insertBefore(row, box.lastElementChild);
        panel.querySelector(".panel-foot").before(box);
        row.querySelector("select[name=ff]").focus();
        return;
      }
      const remove = e.target.closest(".remove-row");
      if (remove) {
        const group = remove.closest(".fgroup");
        remove.closest(".frow").remove();
        if (group.classList.contains("or") && !group.querySelector(".frow")) group.remove();
      }
    });
  }

  // ---- live search ---------------------------------------------------------------------
  function enhanceSearch(scope) {
    const input = scope.querySelector("input[name=q]");
    if (!input) return;
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const params = stateParams();
        if (input.value.trim()) params.set("q", input.value); else params.delete("q");
        // typing refines one search: one history entry, not one per pause
        const typing = new URLSearchParams(window.location.search).has("q") && input.value.trim();
        navigate(viewUrl(params), { keepFocus: true, replace: Boolean(typing) });
      }, 350);
    });
  }

  function enhance(scope) {
    scope.querySelectorAll(".nojs-only").forEach((el) => el.remove());
    enhanceFilters(scope);
    enhanceSearch(scope);
    const head = scope.querySelector("table.grid thead tr");
    if (head) {
      dragSort(head, "th[data-path]", () => {
        navigate(withColumns([...head.querySelectorAll("th[data-path]")].map((th) => th.dataset.path)));
      }, true);
    }
    const list = scope.querySelector(".column-list");
    if (list) dragSort(list, "li[data-path]", () => {}, false);
    // one open pop-over at a time
    scope.querySelectorAll("details.pop, details.view-menu").forEach((d) => {
      d.addEventListener("toggle", () => {
        if (d.open) scope.querySelectorAll("details.pop[open], details.view-menu[open]")
          .forEach((o) => { if (o !== d) o.open = false; });
      });
    });
  }

  document.addEventListener("keydown", (e) => {
    const typing = e.target.closest && e.target.closest("input, select, textarea");
    if (e.key === "/" && !typing && root()) {
      const search = root().querySelector("input[name=q]");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (e.key === "Escape") document.querySelectorAll("details.pop[open], details.view-menu[open]")
      .forEach((d) => { d.open = false; });
  });

  document.addEventListener("DOMContentLoaded", () => {
    const r = root();
    if (r) {
      history.replaceState({ pjax: true }, "", window.location.href);
      enhance(r);
    }
  });
})();
