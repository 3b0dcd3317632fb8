// The review queue: one suggestion at a time; a accept, r reject, s skip, u undo, ? help.
// Every piece of review text goes into the page with textContent, never as HTML.
(function () {
  "use strict";
  const root = document.getElementById("rr-queue");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const state = { current: null, busy: false, history: [], decided: Number(sessionStorage.getItem("rr-decided") || 0) };

  function colour(value) {
    return /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : "#cccccc";
  }

  function text(id, value) {
    $(id).textContent = value == null ? "" : String(value);
  }

  function render(data) {
    const s = data.suggestion;
    state.current = s;
    const left = data.remaining;
    const remaining = data.more ? `${left.toLocaleString()}+ (${data.ranked.toLocaleString()} in the queue when ranked)`
      : left.toLocaleString();
    text("rr-progress", `Decided this session: ${state.decided} · remaining: ${remaining}` +
      (data.unranked ? " · ranking new suggestions…" : ""));
    const m = data.model;
    const r = data.retrain || {};
    let status = m ? `Model retrained at ${m.hhmm} UTC, version ${m.id} (${m.version})` :
      "No model trained yet: accept suggestions and it will learn from them.";
    if (r.running === "retrain") status += " · retraining now…";
    else if (r.every) status += ` · next retrain after ${Math.max(0, r.every - r.decisions)} more decisions`;
    if (r.error) status += ` · last retrain failed: ${r.error}`;
    text("rr-model-status", status);
    $("rr-undo").disabled = state.history.length === 0;
    $("rr-suggestion").hidden = !s;
    $("rr-empty").hidden = !!s;
    if (!s) return;
    $("rr-suggestion").dataset.codingId = s.id;
    $("rr-swatch").style.backgroundColor = colour(s.code.colour);
    $("rr-quote").style.backgroundColor = colour(s.code.colour) + "55";
    text("rr-code-name", s.code.name);
    const conf = s.confidence == null ? "" : `, confidence ${Number(s.confidence).toFixed(2)}`;
    text("rr-source", s.rule ? `rule ${s.rule}${conf}` : `model ${s.model_version || ""}${conf}`);
    const definition = [s.code.description, s.code.include && `Include: ${s.code.include}`,
      s.code.exclude && `Exclude: ${s.code.exclude}`].filter(Boolean).join(" ");
    text("rr-definition", definition || "(no definition in the codebook)");
    const where = [s.question ? `Question: ${s.question}` : s.title ? `From: ${s.title}` : null,
      `answer ${s.external_id}`, s.speaker ? `speaker: ${s.speaker}` : null, s.date].filter(Boolean);
    text("rr-where", where.join(" · "));
    text("rr-before", s.before);
    text("rr-quote", s.quote);
    text("rr-after", s.after);
    const dl = $("rr-attributes");
    dl.replaceChildren();
    for (const [name, value] of s.attributes) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value == null ? "" : value;
      dl.append(dt, dd);
    }
    $("rr-document-link").href = s.document_url;
  }

  function message(msg) {
    text("rr-message", msg || "");
  }

  async function load() {
    const response = await fetch(root.dataset.api, { headers: { accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) {
      message(`Could not load the queue (${response.status}): reload the page.`);
      return;
    }
    render(await response.json());
  }

  async function send(decision) {
    if (state.busy) return;
    let codingId;
    if (decision === "undo") {
      const last = state.history[state.history.length - 1];
      if (!last) { message("Nothing to undo."); return; }
      codingId = last.id;
    } else {
      if (!state.current) return;
      codingId = state.current.id;
    }
    state.busy = true;
    try {
      const response = await fetch(root.dataset.decide, {
        method: "POST", credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrftoken": root.dataset.csrftoken },
        body: JSON.stringify({ coding_id: codingId, decision: decision }),
      });
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      if (!data || !("suggestion" in data)) {
        message(`That did not work (${response.status}${data && data.error ? ": " + data.error : ""}).`);
        return;
      }
      const outcome = data.outcome || {};
      if (response.ok) {
        if (decision === "undo") {
          state.history.pop();
          if (outcome.undone !== "skip") state.decided = Math.max(0, state.decided - 1);
          message(`Undone: ${outcome.undone} on “${outcome.code}”. It is back in the queue.`);
        } else {
          state.history.push({ id: codingId, decision: decision });
          if (decision !== "skip") state.decided += 1;
          message(decision === "skip" ? "Skipped (for you only)." : `${decision === "accept" ? "Accepted" : "Rejected"}.`);
        }
        sessionStorage.setItem("rr-decided", String(state.decided));
      } else {
        message(outcome.error || `That did not work (${response.status}).`);
      }
      render(data);
    } catch (e) {
      message("The server did not answer: check your connection and try again.");
    } finally {
      state.busy = false;
    }
  }

  function toggleHelp() {
    $("rr-help").hidden = !$("rr-help").hidden;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target && event.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag)) return;
    const keys = { a: "accept", r: "reject", s: "skip", u: "undo" };
    if (keys[event.key]) {
      event.preventDefault();
      send(keys[event.key]);
    } else if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
    }
  });
  for (const button of root.querySelectorAll("button[data-decision]")) {
    button.addEventListener("click", () => send(button.dataset.decision));
  }
  $("rr-help-button").addEventListener("click", toggleHelp);
  load();
})();
