// The examiner's tablet score sheet (practical exam).
//
// Exam-site Wi-Fi drops: an entry must never be lost and the page must say what is not saved yet.
// As on the exam terminal (terminal.js): every change gets a per-sheet, per-examiner monotonic seq,
// goes into a queue in localStorage *before* it is sent, and the queue is sent in order, one request
// at a time; an entry leaves it only when the server acknowledged it. Network errors and 5xx retry
// with backoff (and at once on 'online'); a reload re-applies the queue on top of the server's values.
// The server refuses an entry whose seq is not newer than the last one it applied (stale_seq): that
// entry was already applied or superseded, so it is dropped. Values are checked at the field first
// (full-width digits folded, negative / too large / non-numeric / empty refused) and again on the server.
(function () {
  "use strict";

  const dataEl = document.getElementById("sheet-data");
  if (!dataEl) { return; }
  const D = JSON.parse(dataEl.textContent);
  const S = JSON.parse(document.getElementById("sheet-strings").textContent);
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const fmt = (text, vars) => text.replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? String(vars[k]) : m));
  const RETRYABLE = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

  const store = {
    get(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; } },
    del(key) { try { window.localStorage.removeItem(key); } catch (e) { /* nothing to remove */ } },
  };
  const prefix = `practical_${D.sheet}_${D.user}_`;
  const keys = { queue: prefix + "queue", seq: prefix + "seq", timer: (task) => `practical_timer_${D.sheet}_${task}` };

  const st = {
    queue: JSON.parse(store.get(keys.queue) || "[]"),
    seq: Math.max(Number(store.get(keys.seq) || 0), D.lastSeq || 0),
    flushing: false, backoff: 0, retryTimer: null, failed: false, stopped: null,
  };
  // Entries the server has already applied are not re-sent.
  st.queue = st.queue.filter((e) => e.seq > (D.lastSeq || 0));

  function csrfToken() {
    const input = document.querySelector("input[name='csrf_token']");
    return input ? input.value : "";
  }

  // ---- checking a typed deduction (the same rules as app/practical/scoring.py) ----------------
  function parseDeduction(raw, max) {
    const text = String(raw == null ? "" : raw).normalize("NFKC").trim().replace(/。/g, ".").replace(/\s+/g, "");
    if (!text) { return { error: S.empty }; }
    if (/^-\d+(\.\d+)?$/.test(text)) { return { error: S.negative }; }
    const plain = text.replace(/^\+/, "");
    if (!/^\d+(\.\d+)?$/.test(plain)) { return { error: S.nan }; }
    const value = Number(plain);
    if (!isFinite(value)) { return { error: S.nan }; }
    const decimals = plain.includes(".") ? plain.split(".")[1].replace(/0+$/, "") : "";
    if (decimals.length > 1) { return { error: S.decimals }; }
    if (value > max) { return { error: fmt(S.too_big, { max }) }; }
    return { value, text: String(value) };
  }

  function showError(input, message) {
    const box = document.getElementById(input.getAttribute("aria-describedby"));
    input.classList.toggle("is-invalid", !!message);
    input.setAttribute("aria-invalid", message ? "true" : "false");
    if (box) { box.textContent = message || ""; }
  }

  // ---- running totals -------------------------------------------------------------------------
  const round2 = (v) => Math.round(v * 100 + 1e-9) / 100;
  const show = (v) => String(round2(v));

  function recompute() {
    let total = 0, veto = false, complete = true;
    Object.entries(D.weights).forEach(([subject, weight]) => {
      const task = D.drawn[subject];
      if (!task) { complete = false; return; }
      let lost = 0;
      $$(`input.deduction[data-task="${task}"]`).forEach((input) => {
        const r = parseDeduction(input.value || "0", Number(input.dataset.max));
        if (r.error === undefined) { lost += r.value; }
      });
      const score = Math.max(0, 100 - lost);
      const weighted = round2(score * weight / 100);
      total += weighted;
      if ($$(`input.veto[data-task="${task}"]`).some((v) => v.checked)) { veto = true; }
      const ts = $(`.task-score[data-task="${task}"]`), ss = $(`.subject-score[data-subject="${subject}"]`);
      if (ts) { ts.textContent = show(score); }
      if (ss) { ss.textContent = show(weighted); }
    });
    const totalEl = $("#my-total"), verdict = $("#my-verdict");
    if (totalEl) { totalEl.textContent = show(total); }
    if (verdict) {
      const ok = complete && !veto && round2(total) >= D.passMark;
      verdict.textContent = veto ? S.veto : (ok ? S.pass : S.fail);
      verdict.className = "badge " + (ok ? "text-bg-success" : "text-bg-danger");
    }
  }

  // ---- the queue ------------------------------------------------------------------------------
  function persist() {
    store.set(keys.queue, JSON.stringify(st.queue));
    store.set(keys.seq, String(st.seq));
  }

  function showState() {
    const el = $("#save-state");
    if (!el) { return; }
    const n = st.queue.length;
    el.classList.toggle("pending", n > 0);
    if (st.stopped) { el.textContent = st.stopped; return; }
    if (!n) { el.textContent = S.saved; return; }
    el.textContent = fmt(st.failed ? S.pending : S.sending, { n });
  }

  function enqueue(entry) {
    // A newer entry for the same field replaces a queued one not yet in flight.
    const same = (e) => e.kind === entry.kind && e.task === entry.task && e.point === entry.point && e.code === entry.code;
    st.queue = st.queue.filter((e, i) => !(same(e) && !(st.flushing && i === 0)));
    st.seq += 1;
    st.queue.push({ ...entry, seq: st.seq });
    persist();
    showState();
    flush();
  }

  function fieldFor(entry) {
    if (entry.kind === "deduction") { return document.getElementById("d-" + entry.point); }
    if (entry.kind === "note") { return document.getElementById("n-" + entry.point); }
    return document.getElementById("vn-" + entry.code);
  }

  async function send(entry) {
    let resp, body = null;
    try {
      resp = await fetch(D.entryUrl, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(entry),
      });
      try { body = await resp.json(); } catch (e) { body = null; }
    } catch (e) {
      return { status: 0 };
    }
    return { status: resp.status, body };
  }

  async function flush() {
    if (st.flushing || st.stopped) { return; }
    st.flushing = true;
    try {
      while (st.queue.length) {
        const entry = st.queue[0];
        const { status, body } = await send(entry);
        if (status >= 200 && status < 300) {
          st.queue.shift();
          st.failed = false; st.backoff = 0;
        } else if (RETRYABLE(status)) {
          st.failed = true;
          scheduleRetry();
          break;
        } else {
          const err = (body && body.error) || {};
          st.queue.shift();
          if (err.code !== "stale_seq") {
            const field = fieldFor(entry);
            if (field) { showError(field, err.message || fmt(S.refused, { message: status })); }
            if (status === 403 || status === 400 || (err.code && err.code !== "invalid_entry")) {
              st.stopped = fmt(S.refused, { message: err.message || status });
            }
          }
        }
        persist();
        showState();
      }
    } finally {
      st.flushing = false;
      persist();
      showState();
      if (!st.queue.length) { waiters.splice(0).forEach((w) => w()); }
    }
  }

  function scheduleRetry() {
    if (st.retryTimer) { return; }
    st.backoff = Math.min(st.backoff ? st.backoff * 2 : 1000, 15000);
    st.retryTimer = setTimeout(() => { st.retryTimer = null; flush(); }, st.backoff);
  }
  window.addEventListener("online", () => { clearTimeout(st.retryTimer); st.retryTimer = null; flush(); });

  const waiters = [];

  // ---- the fields -----------------------------------------------------------------------------
  function onDeduction(input) {
    const raw = input.value;
    if (String(raw).trim() === "") { input.value = ""; }
    const r = parseDeduction(String(raw).trim() === "" ? "0" : raw, Number(input.dataset.max));
    if (r.error !== undefined) { showError(input, r.error); recompute(); return; }
    showError(input, "");
    if (String(raw).trim() !== "") { input.value = r.text; }
    enqueue({ kind: "deduction", task: input.dataset.task, point: input.dataset.point, value: r.text });
    recompute();
  }

  function onVeto(sw) {
    const note = document.getElementById("vn-" + sw.dataset.code);
    if (sw.checked && !note.value.trim()) {
      showError(note, S.veto_note);
      note.focus();
      recompute();
      return;
    }
    showError(note, "");
    enqueue({ kind: "veto", task: sw.dataset.task, code: sw.dataset.code, failed: sw.checked, note: note.value.trim() });
    recompute();
  }

  if (D.editable) {
    $$("input.deduction").forEach((input) => input.addEventListener("change", () => onDeduction(input)));
    $$("input.deduction").forEach((input) => input.addEventListener("input", recompute));
    $$("input.note").forEach((input) => input.addEventListener("change", () =>
      enqueue({ kind: "note", task: input.dataset.task, point: input.dataset.point, text: input.value.trim() })));
    $$("input.veto").forEach((sw) => sw.addEventListener("change", () => onVeto(sw)));
    $$("input.veto-note").forEach((note) => note.addEventListener("change", () => {
      const sw = document.getElementById("v-" + note.dataset.code);
      if (sw.checked) { onVeto(sw); }
    }));
    // Re-apply what is still queued (newer than the server's values) after a reload.
    st.queue.forEach((e) => {
      const field = fieldFor(e);
      if (!field) { return; }
      if (e.kind === "deduction") { field.value = e.value; }
      if (e.kind === "note") { field.value = e.text; }
      if (e.kind === "veto") { field.value = e.note || ""; document.getElementById("v-" + e.code).checked = !!e.failed; }
    });
    const signForm = $("#sign-form");
    if (signForm) {
      signForm.addEventListener("submit", (ev) => {
        if (!st.queue.length && !$$("#sheet .is-invalid").length) { return; }
        ev.preventDefault();
        const el = $("#save-state");
        if ($$("#sheet .is-invalid").length) { $$("#sheet .is-invalid")[0].focus(); return; }
        if (el) { el.textContent = S.unsaved_sign; }
        waiters.push(() => signForm.submit());
        flush();
      });
    }
    recompute();
    showState();
    flush();
  }

  // ---- a timer per task (on this tablet; it survives a reload) ---------------------------------
  function two(n) { return String(n).padStart(2, "0"); }
  function clock(seconds) { const s = Math.abs(Math.round(seconds)); return `${two(Math.floor(s / 60))}:${two(s % 60)}`; }

  $$(".timer").forEach((box) => {
    const task = box.dataset.task, limit = Number(box.dataset.limit);
    const face = $(".timer-clock", box), startBtn = $(".timer-start", box), resetBtn = $(".timer-reset", box);
    let t = JSON.parse(store.get(keys.timer(task)) || '{"elapsed":0,"since":null}');
    const elapsed = () => t.elapsed + (t.since ? (Date.now() - t.since) : 0);
    function draw() {
      const left = limit - elapsed() / 1000;
      face.textContent = left >= 0 ? clock(left) : `${S.over} +${clock(-left)}`;
      box.classList.toggle("over", left < 0);
      startBtn.textContent = t.since ? S.pause : S.start;
    }
    function save() { store.set(keys.timer(task), JSON.stringify(t)); draw(); }
    startBtn.addEventListener("click", () => {
      t = t.since ? { elapsed: elapsed(), since: null } : { elapsed: t.elapsed, since: Date.now() };
      save();
    });
    resetBtn.addEventListener("click", () => { t = { elapsed: 0, since: null }; save(); });
    draw();
    setInterval(draw, 1000);
  });

  // Every listener is attached: what a test (or a slow tablet's user) may now rely on.
  document.body.dataset.sheetReady = "1";
})();
