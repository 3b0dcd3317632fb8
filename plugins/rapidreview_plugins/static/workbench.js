/* rapidreview workbench: select text and code it, the code picker, grid rows, keys.
   Plain JS, no libraries. Data is only ever put into the page with textContent. */
(function () {
  "use strict";
  var token = function () { var m = document.querySelector('meta[name="wb-csrftoken"]'); return m ? m.content : ""; };
  var status = function (msg, bad) {
    var el = document.getElementById("wb-status");
    if (el) { el.textContent = msg; el.className = "wb-status" + (bad ? " wb-bad" : ""); }
  };

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "accept": "application/json", "x-csrftoken": token()},
      body: JSON.stringify(data)
    }).then(function (r) {
      return r.json().catch(function () { return {ok: false, error: "HTTP " + r.status}; });
    });
  }
  function done(res) {
    if (res && res.ok) { location.reload(); } else { status((res && res.error) || "That did not work", true); }
    return res;
  }

  /* ---- selection -> {start, end, units} points on the rendered pieces (span.wb-p) */
  function pointOf(container, offset, pieces, atEnd) {
    var el = container.nodeType === 3 ? container.parentElement : container;
    var piece = el && el.closest ? el.closest(".wb-p") : null;
    if (piece && container.nodeType === 3) {
      return {start: +piece.dataset.start, end: +piece.dataset.end, units: offset};
    }
    if (!pieces.length) { return null; }
    var p = atEnd ? pieces[pieces.length - 1] : pieces[0];
    return {start: +p.dataset.start, end: +p.dataset.end, units: atEnd ? p.textContent.length : 0};
  }
  function currentSelection() {
    var text = document.getElementById("wb-text");
    var sel = window.getSelection();
    if (!text || !sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!text.contains(range.commonAncestorContainer)) { return null; }
    var pieces = Array.prototype.filter.call(text.querySelectorAll(".wb-p"), function (p) {
      return range.intersectsNode(p);
    });
    var a = pointOf(range.startContainer, range.startOffset, pieces, false);
    var b = pointOf(range.endContainer, range.endOffset, pieces, true);
    return a && b ? {anchor: a, focus: b, text: sel.toString()} : null;
  }

  /* ---- the picker: search as you type, arrows, Space/Shift+Enter tick, Enter apply */
  var codes = [];
  var picker, search, list, active = 0, chosen = {}, onApply = null;
  function shown() { return Array.prototype.slice.call(list.querySelectorAll("li")); }
  function render() {
    var q = search.value.trim().toLowerCase();
    while (list.firstChild) { list.removeChild(list.firstChild); }
    codes.filter(function (c) {
      return !q || (c.name + " " + c.path + " " + c.key).toLowerCase().indexOf(q) >= 0;
    }).forEach(function (c, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.code = c.id;
      var box = document.createElement("input");
      box.type = "checkbox"; box.tabIndex = -1; box.checked = !!chosen[c.id];
      box.addEventListener("change", function () { toggle(c.id); });
      var sw = document.createElement("span");
      sw.className = "wb-swatch"; sw.style.backgroundColor = c.colour;
      var name = document.createElement("span");
      name.textContent = (c.path ? c.path + " › " : "") + c.name;
      li.appendChild(box); li.appendChild(sw); li.appendChild(name);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("click", function (e) { if (e.target !== box) { toggle(c.id); } });
      list.appendChild(li);
    });
    active = Math.min(active, Math.max(0, shown().length - 1));
    highlight();
  }
  function highlight() {
    shown().forEach(function (li, i) {
      li.classList.toggle("wb-active", i === active);
      li.setAttribute("aria-selected", chosen[li.dataset.code] ? "true" : "false");
      if (i === active) { li.scrollIntoView({block: "nearest"}); }
    });
  }
  function toggle(id) {
    if (chosen[id]) { delete chosen[id]; } else { chosen[id] = true; }
    shown().forEach(function (li) { li.querySelector("input").checked = !!chosen[li.dataset.code]; });
    highlight();
  }
  function openPicker(apply) {
    onApply = apply; chosen = {}; search.value = ""; active = 0;
    picker.hidden = false; render(); search.focus();
  }
  function closePicker() { picker.hidden = true; onApply = null; }
  function applyChosen() {
    var ids = Object.keys(chosen).map(Number);
    if (!ids.length) { var li = shown()[active]; if (li) { ids = [+li.dataset.code]; } }
    if (!ids.length || !onApply) { return; }
    var fn = onApply; closePicker(); fn(ids);
  }
  function pickerKeys(e) {
    var items = shown();
    if (e.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); highlight(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); highlight(); e.preventDefault(); }
    else if ((e.key === "Enter" && e.shiftKey) || (e.key === " " && search.value === "")) {
      if (items[active]) { toggle(items[active].dataset.code); } e.preventDefault();
    }
    else if (e.key === "Enter") { applyChosen(); e.preventDefault(); }
    else if (e.key === "Escape") { closePicker(); e.preventDefault(); }
  }

  /* ---- pages */
  function readerPage(text) {
    var docId = text.dataset.document;
    var btn = document.getElementById("wb-code-btn");
    var saved = null;
    document.addEventListener("selectionchange", function () {
      if (!picker.hidden) { return; }
      saved = currentSelection();
      if (btn) { btn.disabled = !saved; }
    });
    function codeSelection() {
      var sel = saved || currentSelection();
      if (!sel) { status("Select a passage first", true); return; }
      openPicker(function (ids) {
        status("Coding…");
        post(location.pathname.replace(/\/document\/\d+.*$/, "/document/" + docId + "/apply"),
             {codes: ids, anchor: sel.anchor, focus: sel.focus}).then(done);
      });
    }
    if (btn) { btn.addEventListener("click", codeSelection); }
    return codeSelection;
  }
  function gridPage(form) {
    var all = document.getElementById("wb-grid-all");
    if (all) {
      all.addEventListener("change", function () {
        form.querySelectorAll('input[name="document"]').forEach(function (b) { b.checked = all.checked; });
      });
    }
    function codeRows() {
      var docs = Array.prototype.map.call(form.querySelectorAll('input[name="document"]:checked'),
                                          function (b) { return +b.value; });
      if (!docs.length) { status("Tick at least one answer", true); return; }
      openPicker(function (ids) {
        status("Coding " + docs.length + " answers…");
        post(form.action, {codes: ids, documents: docs}).then(done);
      });
    }
    var pick = document.getElementById("wb-grid-pick");
    if (pick) { pick.addEventListener("click", codeRows); }
    return codeRows;
  }

  function undo() { post(location.pathname.replace(/\/-\/workbench.*$/, "/-/workbench/undo"), {}).then(done); }

  document.addEventListener("DOMContentLoaded", function () {
    picker = document.getElementById("wb-picker");
    var data = document.getElementById("wb-codes");
    var action = null;
    if (picker && data) {
      codes = JSON.parse(data.textContent);
      search = document.getElementById("wb-code-search");
      list = document.getElementById("wb-code-list");
      search.addEventListener("input", function () { active = 0; render(); });
      search.addEventListener("keydown", pickerKeys);
      document.getElementById("wb-picker-apply").addEventListener("click", applyChosen);
      document.getElementById("wb-picker-close").addEventListener("click", closePicker);
      var text = document.getElementById("wb-text");
      var grid = document.getElementById("wb-grid-form");
      action = text ? readerPage(text) : (grid ? gridPage(grid) : null);
    }
    var undoBtn = document.getElementById("wb-undo-btn");
    if (undoBtn) { undoBtn.addEventListener("click", undo); }
    document.addEventListener("keydown", function (e) {
      var t = e.target, typing = t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable ||
        (t.tagName === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(t.type)));
      if (typing || e.ctrlKey || e.metaKey || e.altKey || (picker && !picker.hidden)) { return; }
      var link;
      if (e.key === "c" && action) { action(); e.preventDefault(); }
      else if (e.key === "n" && (link = document.getElementById("wb-next"))) { location.href = link.href; }
      else if (e.key === "p" && (link = document.getElementById("wb-prev"))) { location.href = link.href; }
      else if (e.key === "u" && undoBtn) { undo(); }
      else if (e.key === "m" && (link = document.getElementById("wb-memo"))) { link.focus(); e.preventDefault(); }
    });
  });
})();
