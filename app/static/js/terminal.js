// The candidate's exam terminal (kiosk): a single page over the terminal API (/api/v1).
//
// What must never happen: an answer the candidate gave is lost, or the terminal's own clock decides.
// So: every change gets a per-attempt monotonic seq (localStorage) and goes into a per-attempt queue
// in localStorage *before* it is sent; the queue is sent in order, one request at a time, and an entry
// leaves it only when the server acknowledged it (2xx). Network errors and 5xx retry with backoff (and
// at once on the 'online' event); a reload or a re-login on this terminal re-applies the queue on top
// of the server's answers and flushes it. The remaining time is the server's deadline minus the
// server's time, advanced by a monotonic local clock (performance.now) since the last response —
// re-synchronised with every response, so neither the terminal's wall clock nor a change to it counts.
(function () {
  "use strict";

  const body = document.body;
  const API = (body.dataset.api || "/api/v1").replace(/\/$/, "");
  const S = JSON.parse(document.getElementById("terminal-strings").textContent);
  const $ = (id) => document.getElementById(id);

  const HEARTBEAT_MS = 15000;
  const HEARTBEAT_PAUSED_MS = 5000; // a paused candidate should see the resume quickly
  const REQUEST_TIMEOUT_MS = 15000;
  const WARNINGS = [600, 300]; // seconds: 10 and 5 minutes
  const RETRYABLE = (status) => status === 0 || status === 408 || status === 429 || status >= 500;

  function fmt(text, vars) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (vars && k in vars ? String(vars[k]) : m));
  }

  // ---- storage: never throws (a full or disabled storage must not stop the exam) -----------
  const store = {
    get(area, key) { try { return window[area].getItem(key); } catch (e) { return null; } },
    set(area, key, value) { try { window[area].setItem(key, value); return true; } catch (e) { return false; } },
    del(area, key) { try { window[area].removeItem(key); } catch (e) { /* nothing to remove */ } },
  };
  const LOCAL = "localStorage", SESSION = "sessionStorage";
  const keys = {
    terminal: "terminal_id",
    token: "exam_token",
    queue: (id) => "exam_queue_" + id,
    seq: (id) => "exam_seq_" + id,
    ack: (id) => "exam_ack_" + id,
  };

  function randomId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context; a kiosk on plain http in the exam LAN may not be one.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function terminalId() {
    let id = store.get(LOCAL, keys.terminal);
    if (!id) { id = randomId(); store.set(LOCAL, keys.terminal, id); }
    return id;
  }

  // ---- state ------------------------------------------------------------------------------
  const st = {
    token: store.get(SESSION, keys.token),
    attemptId: null,
    state: null,          // answering | paused | submitted | terminated
    info: null,           // the last AttemptState + paper facts
    questions: [],
    index: 0,
    answers: {},          // position -> {answer, flagged}
    queue: [],            // [{position, answer, flagged, seq}], oldest first, mirrored in localStorage
    inFlight: null,
    flushing: false,
    failed: false,        // "network" | "server" when the last send failed for a retryable reason
    seq: 0,               // the last seq used for this attempt (mirrored in localStorage)
    backoff: 0,
    retryTimer: null,
    flushWaiters: [],
    locked: false,        // no more edits: submitting, time up, over
    finishing: false,
    lostAfterDeadline: 0,
    clock: { offset: null, deadline: null, frozen: null },
    warned: {},
    hbTimer: null,
    tickTimer: null,
    screen: "login",
  };

  // ---- the API ----------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, payload) {
    const headers = { "Accept": "application/json", "X-Terminal-Id": terminalId() };
    if (payload !== undefined) { headers["Content-Type"] = "application/json"; }
    if (st.token) { headers["Authorization"] = "Bearer " + st.token; }
    const ctrl = window.AbortController ? new AbortController() : null;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), REQUEST_TIMEOUT_MS) : null;
    let resp, data = null;
    try {
      resp = await fetch(API + path, {
        method, headers, cache: "no-store", credentials: "omit", signal: ctrl ? ctrl.signal : undefined,
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      try { data = await resp.json(); } catch (e) { data = null; }
    } catch (e) {
      throw new ApiError(0, "network", S.network_error);
    } finally {
      if (timer) { clearTimeout(timer); }
    }
    if (!resp.ok) {
      const err = (data && data.error) || {};
      const fallback = resp.status >= 500 || resp.status === 429 ? S.server_error : S.network_error;
      throw new ApiError(resp.status, err.code || "http_" + resp.status, err.message || fallback);
    }
    if (data && data.server_time) { syncClock(data); }
    return data || {};
  }

  // ---- the server's clock -----------------------------------------------------------------
  // offset = server time − local monotonic time at receipt; the server's "now" is offset + local.
  function syncClock(d) {
    const server = Date.parse(d.server_time);
    if (isNaN(server)) { return; }
    st.clock.offset = server - performance.now();
    const deadline = Date.parse(d.deadline);
    if (!isNaN(deadline)) {
      st.clock.deadline = deadline;
      // While paused the server reports the deadline as if its clock stood still, so this is the
      // frozen remaining time to the millisecond (remaining_seconds is whole seconds).
      st.clock.frozen = Math.max(0, (deadline - server) / 1000);
    } else if (typeof d.remaining_seconds === "number") {
      st.clock.frozen = d.remaining_seconds;
    }
  }

  function remainingSeconds() {
    if (st.clock.offset === null) { return null; }
    // While paused the server's clock for this attempt stands still: show what it said.
    if (st.state === "paused" || st.clock.deadline === null) { return st.clock.frozen; }
    return Math.max(0, (st.clock.deadline - (st.clock.offset + performance.now())) / 1000);
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
  }

  function tick() {
    const left = remainingSeconds();
    const text = left === null ? "--:--" : formatDuration(left);
    $("timer-value").textContent = text;
    $("pause-remaining").textContent = text;
    const timer = $("timer");
    timer.classList.toggle("is-warn", left !== null && left <= 600 && left > 300);
    timer.classList.toggle("is-urgent", left !== null && left <= 300);
    timer.classList.toggle("is-paused", st.state === "paused");
    if (left === null || st.state !== "answering" || !["instructions", "exam"].includes(st.screen)) { return; }
    checkWarnings(left);
    if (left <= 0 && !st.finishing) { timeUp(); }
  }

  function checkWarnings(left) {
    for (const limit of WARNINGS) {
      if (left > limit + 30) { st.warned[limit] = false; } // extra time given: warn again later
    }
    const due = WARNINGS.filter((limit) => left <= limit && left > 0 && !st.warned[limit]);
    if (!due.length) { return; }
    due.forEach((limit) => { st.warned[limit] = true; });
    const limit = Math.min(...due);
    // Also mark the larger thresholds, so a late login sees one warning, not two.
    WARNINGS.filter((l) => l > limit).forEach((l) => { st.warned[l] = true; });
    const banner = $("time-warning");
    $("time-warning-text").textContent = limit <= 300 ? S.warn_5 : S.warn_10;
    banner.classList.toggle("is-urgent", limit <= 300);
    banner.hidden = false;
  }

  // ---- screens ----------------------------------------------------------------------------
  const SCREENS = ["login", "loading", "instructions", "exam", "final"];

  function show(name, focusId) {
    st.screen = name;
    SCREENS.forEach((s) => { $("screen-" + s).hidden = s !== name; });
    $("kiosk-bar").hidden = !["instructions", "exam"].includes(name);
    $("submit-btn").hidden = name !== "exam";
    if (!["instructions", "exam"].includes(name)) { $("time-warning").hidden = true; }
    const target = $(focusId || { login: "admission-no", loading: "loading-title", instructions: "instructions-title",
      exam: "q-heading", final: "final-title" }[name]);
    if (target) { target.focus({ preventScroll: false }); }
    window.scrollTo(0, 0);
  }

  // ---- login ------------------------------------------------------------------------------
  function showLogin(message) {
    stopTimers();
    setPaused(false);
    const dlg = $("submit-dialog");
    if (dlg.open) { dlg.close(); }
    const err = $("login-error");
    err.textContent = message || "";
    err.hidden = !message;
    $("id-number").value = "";
    $("login-btn").disabled = false;
    $("login-btn").textContent = S.login;
    show("login");
  }

  async function onLogin(event) {
    event.preventDefault();
    const admission = $("admission-no").value.trim();
    const idNumber = $("id-number").value.trim().toUpperCase();
    const err = $("login-error");
    if (!admission || !idNumber) {
      err.textContent = S.fill_both; err.hidden = false;
      (admission ? $("id-number") : $("admission-no")).focus();
      return;
    }
    const btn = $("login-btn");
    btn.disabled = true; btn.textContent = S.logging_in; err.hidden = true;
    st.token = null;
    try {
      const d = await api("POST", "/terminal/login", { admission_no: admission, id_number: idNumber });
      st.token = d.token;
      store.set(SESSION, keys.token, d.token);
      $("admission-no").value = ""; $("id-number").value = "";
      await openAttempt();
    } catch (e) {
      err.textContent = e.message; err.hidden = false;
      btn.disabled = false; btn.textContent = S.login;
      $("admission-no").focus();
    }
  }

  // ---- loading (or resuming) the attempt ----------------------------------------------------
  async function openAttempt() {
    show("loading");
    $("loading-text").textContent = "";
    let delay = 1000;
    for (;;) {
      try {
        const paper = await api("GET", "/attempt");
        setUp(paper);
        return;
      } catch (e) {
        if (e.status === 401) { forgetToken(); showLogin(S.session_expired); return; }
        if (!RETRYABLE(e.status)) { forgetToken(); showLogin(e.message); return; }
        $("loading-text").textContent = S.loading_retry;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15000);
      }
    }
  }

  function setUp(paper) {
    st.attemptId = paper.attempt_id;
    st.info = paper;
    st.questions = (paper.questions || []).slice().sort((a, b) => a.position - b.position);
    st.answers = {};
    st.locked = false; st.finishing = false; st.lostAfterDeadline = 0; st.warned = {};
    st.failed = false; st.backoff = 0;
    $("q-options").dataset.position = ""; // redraw the question even if the position is the same
    let maxSeq = Number(store.get(LOCAL, keys.seq(st.attemptId))) || 0;
    const server = paper.answers || {};
    for (const q of st.questions) {
      const a = server[String(q.position)];
      st.answers[q.position] = { answer: a ? a.answer : null, flagged: !!(a && a.flagged), seq: a ? a.seq || 0 : 0 };
      if (a && a.seq > maxSeq) { maxSeq = a.seq; }
    }
    // Re-apply what this terminal changed but the server never acknowledged; an entry whose seq
    // the server already holds (the ack was lost) or has surpassed is done and leaves the queue.
    st.queue = loadQueue().filter((e) => st.answers[e.position] && e.seq > st.answers[e.position].seq);
    for (const e of st.queue) {
      st.answers[e.position] = { answer: e.answer, flagged: e.flagged, seq: e.seq };
      if (e.seq > maxSeq) { maxSeq = e.seq; }
    }
    saveQueue();
    // The counter must stay above every seq the server holds, also when this terminal is new to
    // the attempt (a move released by the proctor), or its changes would be ignored as older.
    store.set(LOCAL, keys.seq(st.attemptId), String(maxSeq));
    st.seq = maxSeq;
    st.state = paper.state;
    fillInfo(paper);
    if (paper.state === "submitted" || paper.state === "terminated") { finishShown(paper.state, null); return; }
    startTimers();
    const acknowledged = store.get(LOCAL, keys.ack(st.attemptId)) === "1"
      || st.questions.some((q) => st.answers[q.position].answer !== null);
    const firstOpen = st.questions.findIndex((q) => st.answers[q.position].answer === null);
    st.index = firstOpen >= 0 ? firstOpen : 0;
    if (acknowledged) { enterExam(); } else { show("instructions"); }
    setPaused(st.state === "paused");
    renderStatus();
    flush();
  }

  function fillInfo(p) {
    const c = p.candidate || {};
    $("bar-name").textContent = c.name || "";
    const seat = fmt(S.seat_value, { room: p.room || "", seat: p.seat == null ? "" : p.seat });
    $("bar-meta").textContent = [p.item, seat].filter(Boolean).join(" · ");
    $("info-name").textContent = c.name || "";
    $("info-id").textContent = c.masked_id || "";
    $("info-item").textContent = p.item || "";
    $("info-seat").textContent = seat;
    $("info-duration").textContent = p.duration_minutes ? fmt(S.minutes, { n: p.duration_minutes }) : "";
    $("info-pass").textContent = p.pass_mark != null ? fmt(S.pass_mark_value, { n: p.pass_mark }) : "";
    $("info-total").textContent = String(st.questions.length || p.total || "");
    const photo = $("candidate-photo");
    if (c.photo_url) { photo.src = c.photo_url; photo.alt = S.photo_alt + " " + (c.name || ""); photo.hidden = false; }
    else { photo.hidden = true; photo.removeAttribute("src"); }
    const list = $("instructions-list");
    list.replaceChildren(...(p.instructions || []).map((t) => {
      const li = document.createElement("li"); li.textContent = t; return li;
    }));
    $("final-name").textContent = c.name ? `${c.name}  ${c.masked_id || ""}` : "";
  }

  function enterExam(focusId) {
    store.set(LOCAL, keys.ack(st.attemptId), "1");
    renderNavigator();
    renderQuestion();
    show("exam", focusId);
  }

  // ---- the question -----------------------------------------------------------------------
  const ALLOWED_TAGS = new Set(["B", "STRONG", "I", "EM", "U", "SUB", "SUP", "BR"]);
  const DROP_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT"]);

  // The server already sanitises stems; this keeps the same allowlist on the terminal too.
  function putSafeHtml(html, target) {
    const doc = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
    const copy = (src, dst) => {
      for (const n of src.childNodes) {
        if (n.nodeType === Node.TEXT_NODE) { dst.append(n.data); }
        else if (n.nodeType === Node.ELEMENT_NODE && !DROP_TAGS.has(n.tagName)) {
          if (ALLOWED_TAGS.has(n.tagName)) { const el = document.createElement(n.tagName.toLowerCase()); copy(n, el); dst.append(el); }
          else { copy(n, dst); }
        }
      }
    };
    target.replaceChildren();
    copy(doc.body, target);
  }

  function current() { return st.questions[st.index]; }
  function editable() { return st.state === "answering" && !st.locked && st.screen === "exam"; }

  function choicesOf(q) {
    if (q.type === "judge") {
      return [{ letter: "T", label: S.true, sym: "✓" }, { letter: "F", label: S.false, sym: "×" }];
    }
    return (q.options || []).map((o) => ({ letter: o.letter, label: o.text }));
  }

  function renderQuestion() {
    const q = current();
    if (!q) { return; }
    const a = st.answers[q.position];
    const same = $("q-options").dataset.position === String(q.position);
    $("q-heading").textContent = fmt(S.q_heading, { n: q.position, total: st.questions.length });
    $("q-type").textContent = S[q.type] || q.type;
    $("q-points").textContent = fmt(S.points, { p: q.points });
    $("q-flagged").hidden = !a.flagged;
    if (!same) { putSafeHtml(q.stem, $("q-stem")); }
    const hint = $("q-hint");
    hint.hidden = q.type !== "multiple";
    hint.textContent = q.type === "multiple" ? S.multiple_hint : "";
    const box = $("q-options");
    box.classList.toggle("is-judge", q.type === "judge");
    const chosen = a.answer || "";
    if (box.dataset.position === String(q.position)) {
      // Same question: update in place, so the focused option keeps the focus.
      box.querySelectorAll(".opt").forEach((b) => {
        b.setAttribute("aria-pressed", chosen.includes(b.dataset.letter) ? "true" : "false");
        b.disabled = !editable();
      });
    } else {
      box.dataset.position = String(q.position);
      box.dataset.type = q.type;
      box.replaceChildren(...choicesOf(q).map((c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "opt " + (q.type === "multiple" ? "is-check" : "is-radio");
      b.dataset.letter = c.letter;
      b.setAttribute("aria-pressed", chosen.includes(c.letter) ? "true" : "false");
      b.disabled = !editable();
      const letter = document.createElement("span");
      letter.className = "opt-letter";
      letter.textContent = c.sym || c.letter;
      if (c.sym) { letter.setAttribute("aria-hidden", "true"); }
      const text = document.createElement("span");
      text.className = "opt-text";
      text.textContent = c.label;
      const mark = document.createElement("span");
      mark.className = "opt-mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = "✓";
      b.append(letter, text, mark);
      b.addEventListener("click", () => choose(c.letter));
      return b;
    }));
    }
    const flag = $("flag-btn");
    flag.setAttribute("aria-pressed", a.flagged ? "true" : "false");
    $("flag-label").textContent = a.flagged ? S.unflag : S.flag;
    flag.disabled = !editable();
    $("prev-btn").disabled = st.index === 0;
    $("next-btn").disabled = st.index === st.questions.length - 1;
    updateNavigator();
  }

  function go(index, focusHeading) {
    if (index < 0 || index >= st.questions.length) { return; }
    st.index = index;
    renderQuestion();
    const active = document.activeElement;
    // Keep focus on prev/next for repeated presses, unless that button just became disabled.
    if (focusHeading || !active || active === document.body || active.disabled) { $("q-heading").focus(); }
  }

  function choose(letter) {
    const q = current();
    if (!q || !editable()) { return; }
    const a = st.answers[q.position];
    let answer;
    if (q.type === "multiple") {
      const set = new Set((a.answer || "").split("").filter(Boolean));
      if (set.has(letter)) { set.delete(letter); } else { set.add(letter); }
      answer = Array.from(set).sort().join("") || null;
    } else {
      answer = letter; // radio-like: choosing the chosen one again keeps it
    }
    if (answer === a.answer) { return; }
    record(q.position, answer, a.flagged);
  }

  function toggleFlag() {
    const q = current();
    if (!q || !editable()) { return; }
    const a = st.answers[q.position];
    record(q.position, a.answer, !a.flagged);
  }

  // ---- navigator --------------------------------------------------------------------------
  function renderNavigator() {
    const grid = $("navigator-grid");
    grid.replaceChildren(...st.questions.map((q, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "nav-cell";
      b.dataset.index = String(i);
      b.dataset.position = String(q.position);
      const num = document.createElement("span");
      num.textContent = String(q.position);
      const sym = document.createElement("span");
      sym.className = "nav-sym";
      sym.setAttribute("aria-hidden", "true");
      b.append(num, sym);
      b.addEventListener("click", () => go(i, true));
      return b;
    }));
    updateNavigator();
  }

  // Scroll the navigator panel (when it scrolls on its own) to show the current cell; never the
  // page, which on a narrow screen would jump from the question down to the grid.
  function keepInView(cell) {
    const nav = cell.closest(".navigator");
    if (!nav || nav.scrollHeight <= nav.clientHeight + 1) { return; }
    const n = nav.getBoundingClientRect(), c = cell.getBoundingClientRect();
    if (c.top < n.top) { nav.scrollTop -= n.top - c.top + 8; }
    else if (c.bottom > n.bottom) { nav.scrollTop += c.bottom - n.bottom + 8; }
  }

  function updateNavigator() {
    let answered = 0;
    $("navigator-grid").querySelectorAll(".nav-cell").forEach((b) => {
      const i = Number(b.dataset.index);
      const a = st.answers[st.questions[i].position];
      const done = a.answer !== null && a.answer !== "";
      if (done) { answered += 1; }
      b.classList.toggle("answered", done);
      b.classList.toggle("flagged", a.flagged);
      b.classList.toggle("current", i === st.index);
      if (i === st.index) { b.setAttribute("aria-current", "step"); } else { b.removeAttribute("aria-current"); }
      b.lastChild.textContent = (done ? "✓" : "") + (a.flagged ? "★" : "") + (i === st.index && !done && !a.flagged ? "▲" : "");
      const parts = [fmt(S.nav_cell, { n: b.dataset.position }), done ? S.nav_answered : S.nav_unanswered];
      if (a.flagged) { parts.push(S.nav_flagged); }
      b.setAttribute("aria-label", parts.join("，"));
      if (i === st.index) { keepInView(b); }
    });
    $("answered-count").textContent = fmt(S.answered_count, { a: answered, t: st.questions.length });
  }

  // ---- autosave: the queue ------------------------------------------------------------------
  function loadQueue() {
    try {
      const q = JSON.parse(store.get(LOCAL, keys.queue(st.attemptId)) || "[]");
      return Array.isArray(q) ? q.filter((e) => e && Number.isInteger(e.position) && Number.isInteger(e.seq)) : [];
    } catch (e) { return []; }
  }

  function saveQueue() {
    if (st.attemptId === null) { return; }
    if (st.queue.length) { store.set(LOCAL, keys.queue(st.attemptId), JSON.stringify(st.queue)); }
    else { store.del(LOCAL, keys.queue(st.attemptId)); }
  }

  function nextSeq() {
    // Read back from storage too: the counter must never go backwards for this attempt.
    st.seq = Math.max(st.seq || 0, Number(store.get(LOCAL, keys.seq(st.attemptId))) || 0) + 1;
    store.set(LOCAL, keys.seq(st.attemptId), String(st.seq));
    return st.seq;
  }

  function record(position, answer, flagged) {
    const entry = { position, answer, flagged, seq: nextSeq() };
    st.answers[position] = { answer, flagged, seq: entry.seq };
    // An unsent entry for the same position is superseded: the new one carries the whole state
    // (answer and flag) with a higher seq. The one already on the wire stays until it is answered.
    st.queue = st.queue.filter((e) => e.position !== position || e === st.inFlight);
    st.queue.push(entry);
    saveQueue();
    renderQuestion();
    renderStatus();
    flush();
  }

  function dropEntry(entry) {
    const i = st.queue.indexOf(entry);
    if (i >= 0) { st.queue.splice(i, 1); saveQueue(); }
  }

  function clearQueue() {
    st.queue = [];
    saveQueue();
    notifyFlushed();
  }

  async function flush() {
    if (st.flushing || !st.token || st.state !== "answering") { renderStatus(); return; }
    st.flushing = true;
    clearTimeout(st.retryTimer);
    try {
      while (st.queue.length && st.token && st.state === "answering") {
        const entry = st.queue[0];
        st.inFlight = entry;
        renderStatus();
        let r;
        try {
          r = await api("PUT", "/attempt/answers/" + entry.position,
            { answer: entry.answer, seq: entry.seq, flagged: !!entry.flagged });
        } catch (e) {
          if (await sendFailed(entry, e)) { continue; }
          break;
        }
        st.failed = false; st.backoff = 0;
        dropEntry(entry);
        st.inFlight = null;
        if (r.saved === false && r.seq > entry.seq) { refreshFromServer(); }
        if (r.state && r.state !== st.state) { onState(r.state); }
      }
    } finally {
      st.inFlight = null;
      st.flushing = false;
      renderStatus();
      notifyFlushed();
    }
  }

  // The server holds a newer change than ours for some position (made elsewhere): show what it
  // holds wherever nothing of ours is still waiting.
  async function refreshFromServer() {
    try {
      const paper = await api("GET", "/attempt");
      if (paper.attempt_id !== st.attemptId) { return; }
      const waiting = new Set(st.queue.map((e) => e.position));
      for (const [pos, a] of Object.entries(paper.answers || {})) {
        const p = Number(pos);
        if (st.answers[p] && !waiting.has(p) && (a.seq || 0) >= (st.answers[p].seq || 0)) {
          st.answers[p] = { answer: a.answer, flagged: !!a.flagged, seq: a.seq || 0 };
        }
      }
      if (st.screen === "exam") { renderQuestion(); }
    } catch (e) { /* the next change or reload shows it */ }
  }

  // What to do when a save was refused or did not arrive. Returns true to go on with the queue.
  async function sendFailed(entry, e) {
    if (RETRYABLE(e.status)) { st.failed = e.status === 0 ? "network" : "server"; scheduleRetry(); return false; }
    if (e.status === 401) { sessionLost(); return false; }
    if (e.status === 409 && e.code === "deadline_passed") {
      // Refused and never stored: the time (with its grace) is over. Nothing queued can be saved now.
      st.lostAfterDeadline += new Set(st.queue.map((e) => e.position)).size;
      clearQueue();
      finish(true);
      return false;
    }
    if (e.status === 409) {
      // not_answering (paused, submitted, terminated): the heartbeat tells which; keep the entry.
      const known = await heartbeat();
      if (known && st.state === "answering") { st.failed = "server"; scheduleRetry(); }
      return false;
    }
    // 400/404/422: this entry can never succeed; say so, drop it and go on with the others.
    dropEntry(entry);
    flashStatus(fmt(S.answer_refused, { n: entry.position, msg: e.message }));
    return true;
  }

  function scheduleRetry() {
    clearTimeout(st.retryTimer);
    // Backoff with jitter, so a room of terminals coming back does not arrive all at once.
    const base = Math.min(30000, 1000 * 2 ** st.backoff);
    st.backoff = Math.min(st.backoff + 1, 5);
    st.retryTimer = setTimeout(flush, base / 2 + Math.random() * base / 2);
  }

  function whenFlushed() {
    if (!st.queue.length) { return Promise.resolve(); }
    return new Promise((resolve) => st.flushWaiters.push(resolve));
  }

  function notifyFlushed() {
    if (st.queue.length) { return; }
    const waiters = st.flushWaiters;
    st.flushWaiters = [];
    waiters.forEach((w) => w());
  }

  let statusNotice = null;
  function flashStatus(text) {
    statusNotice = text;
    renderStatus();
    setTimeout(() => { statusNotice = null; renderStatus(); }, 8000);
  }

  function renderStatus() {
    const pending = new Set(st.queue.map((e) => e.position)).size;
    let state = "saved", text = S.saved;
    if (pending) {
      const offline = navigator.onLine === false;
      if (st.state === "paused") { state = "saving"; text = fmt(S.paused_pending, { n: pending }); }
      else if (offline || st.failed === "network") { state = "unsaved"; text = fmt(S.unsaved, { n: pending }); }
      else if (st.failed) { state = "unsaved"; text = fmt(S.unsaved_retry, { n: pending }); }
      else { state = "saving"; text = S.saving; }
    }
    if (statusNotice && state === "saved") { state = "unsaved"; text = statusNotice; }
    const box = $("save-status");
    if (box.dataset.state !== state) { box.dataset.state = state; }
    if ($("save-text").textContent !== text) { $("save-text").textContent = text; }
  }

  // ---- heartbeat and state ------------------------------------------------------------------
  // Returns true when the server answered (the state is then current).
  async function heartbeat() {
    if (!st.token) { return false; }
    try {
      const d = await api("POST", "/attempt/heartbeat");
      if (st.failed && !st.flushing) { st.failed = false; } // the server is reachable again
      onState(d.state);
      if (st.queue.length && !st.flushing && st.state === "answering") { st.backoff = 0; flush(); }
      return true;
    } catch (e) {
      if (e.status === 401) { sessionLost(); }
      return false;
    } finally {
      scheduleHeartbeat();
    }
  }

  function scheduleHeartbeat() {
    clearTimeout(st.hbTimer);
    if (!st.token || st.screen === "final") { return; }
    st.hbTimer = setTimeout(heartbeat, st.state === "paused" ? HEARTBEAT_PAUSED_MS : HEARTBEAT_MS);
  }

  function onState(state) {
    if (!state) { return; }
    const before = st.state;
    st.state = state;
    if (state === "paused") { setPaused(true); }
    else if (state === "answering") {
      setPaused(false);
      if (before === "paused") { st.backoff = 0; flush(); scheduleHeartbeat(); }
    } else if (state === "submitted" || state === "terminated") {
      setPaused(false);
      // The server finished the attempt: whatever is still queued can no longer be stored.
      if (st.queue.length) { st.lostAfterDeadline += new Set(st.queue.map((e) => e.position)).size; clearQueue(); }
      if (!st.finishing) { finish(true); }
    }
    refreshEditable();
    renderStatus();
    if (st.tickTimer) { tick(); }
  }

  function setPaused(paused) {
    const overlay = $("pause-overlay");
    const was = !overlay.hidden;
    overlay.hidden = !paused;
    ["kiosk-main", "kiosk-bar", "time-warning"].forEach((id) => { $(id).inert = paused; });
    if (paused && !was) {
      const dlg = $("submit-dialog");
      if (dlg.open && !st.finishing) { dlg.close(); }
      overlay.focus();
    } else if (!paused && was && st.screen === "exam") {
      $("q-heading").focus();
    }
  }

  function refreshEditable() {
    if (st.screen !== "exam") { return; }
    const on = editable();
    $("q-options").querySelectorAll(".opt").forEach((b) => { b.disabled = !on; });
    $("flag-btn").disabled = !on;
  }

  function sessionLost() {
    // The token is gone (expired, or a newer login rotated it). The queue stays in localStorage;
    // a login on this terminal loads it again and sends it.
    forgetToken();
    st.failed = false;
    clearTimeout(st.retryTimer);
    showLogin(S.session_expired);
  }

  function forgetToken() {
    st.token = null;
    store.del(SESSION, keys.token);
  }

  function startTimers() {
    stopTimers();
    st.tickTimer = setInterval(tick, 250);
    tick();
    scheduleHeartbeat();
  }

  function stopTimers() {
    clearInterval(st.tickTimer);
    clearTimeout(st.hbTimer);
    clearTimeout(st.retryTimer);
    st.tickTimer = st.hbTimer = st.retryTimer = null;
  }

  // ---- time up and submission ---------------------------------------------------------------
  async function timeUp() {
    st.finishing = true;
    st.locked = true;
    refreshEditable();
    const banner = $("time-warning");
    $("time-warning-text").textContent = S.time_up;
    banner.classList.add("is-urgent");
    banner.hidden = false;
    // Send what is queued first (the server accepts it within its grace); every response also
    // re-synchronises the deadline, so extra time given at the last moment is seen.
    flush();
    await whenFlushed();
    if (!st.queue.length) { await heartbeat(); }
    const left = remainingSeconds();
    if (st.state === "answering" && left !== null && left > 1) {
      st.finishing = false; st.locked = false; banner.hidden = true;
      refreshEditable();
      return;
    }
    finish(true);
  }

  function openSubmitDialog() {
    if (!editable()) { return; }
    const unanswered = st.questions.filter((q) => st.answers[q.position].answer === null);
    const flagged = st.questions.filter((q) => st.answers[q.position].flagged);
    const answered = st.questions.length - unanswered.length;
    $("submit-summary").textContent = fmt(S.confirm_summary, { a: answered, t: st.questions.length });
    $("submit-unanswered-intro").textContent = unanswered.length
      ? fmt(S.unanswered_intro, { n: unanswered.length }) : S.none_unanswered;
    $("submit-flagged-intro").textContent = flagged.length ? fmt(S.flagged_intro, { n: flagged.length }) : S.none_flagged;
    const buttons = (list, cls) => list.map((q) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "submit-pos " + cls;
      b.textContent = String(q.position);
      b.setAttribute("aria-label", fmt(S.nav_cell, { n: q.position }));
      b.addEventListener("click", () => {
        $("submit-dialog").close();
        go(st.questions.indexOf(q), true);
      });
      return b;
    });
    $("submit-unanswered").replaceChildren(...buttons(unanswered, ""));
    $("submit-flagged").replaceChildren(...buttons(flagged, "flagged"));
    const progress = $("submit-progress");
    progress.textContent = ""; progress.classList.remove("is-error");
    $("submit-confirm").disabled = false;
    $("submit-cancel").disabled = false;
    $("submit-dialog").showModal();
    $("submit-cancel").focus();
  }

  async function confirmSubmit() {
    if (st.finishing) { return; }
    $("submit-confirm").disabled = true;
    $("submit-cancel").disabled = true;
    st.finishing = true;
    st.locked = true;
    refreshEditable();
    await finish(false);
  }

  // Flush the queue, then submit (idempotent); retries network trouble until it is through.
  async function finish(auto) {
    st.finishing = true;
    st.locked = true;
    refreshEditable();
    const progress = $("submit-progress");
    const say = (text, error) => {
      progress.textContent = text;
      progress.classList.toggle("is-error", !!error);
      if (auto && st.screen === "exam" && text) { $("time-warning-text").textContent = text; $("time-warning").hidden = false; }
    };
    if (st.state === "answering") {
      if (st.queue.length) {
        say(navigator.onLine === false || st.failed ? S.flush_waiting : S.submitting);
        const waiting = setInterval(() => say(st.failed || navigator.onLine === false ? S.flush_waiting : S.submitting), 1000);
        flush();
        await whenFlushed();
        clearInterval(waiting);
      }
    }
    if (!st.token) { return; } // session lost while flushing: the login screen says so
    say(S.submitting);
    let delay = 1000;
    for (;;) {
      try {
        const d = await api("POST", "/attempt/submit");
        finishShown(d.state || "submitted", d.result || null);
        return;
      } catch (e) {
        if (e.status === 401) { sessionLost(); return; }
        if (RETRYABLE(e.status)) {
          say(S.submit_retry, true);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 15000);
          continue;
        }
        // A refusal (e.g. already terminated): the state decides what the candidate sees.
        if (await heartbeat() && (st.state === "submitted" || st.state === "terminated")) {
          finishShown(st.state, null);
          return;
        }
        say(fmt(S.submit_failed, { msg: e.message }), true);
        st.finishing = false; st.locked = !!auto;
        $("submit-confirm").disabled = false; $("submit-cancel").disabled = false;
        refreshEditable();
        return;
      }
    }
  }

  function finishShown(state, result) {
    stopTimers();
    const dlg = $("submit-dialog");
    if (dlg.open) { dlg.close(); }
    setPaused(false);
    st.state = state;
    st.locked = true;
    if (st.attemptId !== null) {
      if (st.queue.length) { st.lostAfterDeadline += new Set(st.queue.map((e) => e.position)).size; }
      clearQueue();
      store.del(LOCAL, keys.ack(st.attemptId));
    }
    forgetToken();
    $("final-title").textContent = state === "terminated" ? S.final_terminated : S.final_submitted;
    const box = $("final-result");
    box.replaceChildren();
    const notes = [];
    if (state === "terminated") { notes.push(S.terminated_text); }
    else if (result) { box.append(resultBox(result)); }
    else { notes.push(S.result_later); }
    if (st.lostAfterDeadline) { notes.push(fmt(S.lost_after_deadline, { n: st.lostAfterDeadline })); }
    $("final-note").textContent = notes.join(" ");
    show("final");
  }

  function resultBox(r) {
    const wrap = document.createElement("div");
    wrap.className = "result-box";
    const verdict = document.createElement("p");
    verdict.className = "result-verdict " + (r.passed ? "is-pass" : "is-fail");
    verdict.textContent = (r.passed ? "✓ " : "× ") + (r.passed ? S.passed : S.failed);
    const score = document.createElement("p");
    score.className = "result-score";
    score.textContent = fmt(S.score_line, { score: r.score, mark: r.pass_mark != null ? r.pass_mark : "" });
    wrap.append(verdict, score);
    if (r.by_kp && r.by_kp.length) {
      const table = document.createElement("table");
      table.className = "table table-sm result-kp";
      const head = table.createTHead().insertRow();
      [S.kp, S.kp_earned, S.kp_possible].forEach((t) => {
        const th = document.createElement("th"); th.scope = "col"; th.textContent = t; head.append(th);
      });
      const tbody = table.createTBody();
      r.by_kp.forEach((k) => {
        const row = tbody.insertRow();
        [k.kp, k.earned, k.possible].forEach((v) => { row.insertCell().textContent = String(v); });
      });
      wrap.append(table);
    }
    return wrap;
  }

  // ---- keyboard -----------------------------------------------------------------------------
  function onKey(e) {
    if (st.screen !== "exam" || e.ctrlKey || e.altKey || e.metaKey || e.isComposing) { return; }
    if ($("submit-dialog").open || !$("pause-overlay").hidden) { return; }
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    const q = current();
    if (!q) { return; }
    const key = e.key.length === 1 ? e.key.toUpperCase() : e.key;
    let letter = null;
    if (key === "ArrowLeft") { go(st.index - 1); e.preventDefault(); return; }
    if (key === "ArrowRight") { go(st.index + 1); e.preventDefault(); return; }
    if (key === "M") { toggleFlag(); e.preventDefault(); return; }
    if (q.type === "judge") {
      letter = { T: "T", Y: "T", 1: "T", F: "F", N: "F", 2: "F" }[key] || null;
    } else {
      const letters = (q.options || []).map((o) => o.letter);
      // A–H / 1–8: multiple choice may have up to eight options.
      if (/^[A-H]$/.test(key) && letters.includes(key)) { letter = key; }
      else if (/^[1-8]$/.test(key) && letters[Number(key) - 1]) { letter = letters[Number(key) - 1]; }
    }
    if (letter) { choose(letter); e.preventDefault(); }
  }

  // ---- full screen and leaving ----------------------------------------------------------------
  function toggleFullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen().catch(() => {}); }
    else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen({ navigationUI: "hide" }).catch(() => {});
    }
  }

  function onFullscreenChange() {
    $("fullscreen-btn").textContent = document.fullscreenElement ? S.exit_fullscreen : S.fullscreen;
  }

  // ---- wiring -------------------------------------------------------------------------------
  function init() {
    terminalId();
    $("login-form").addEventListener("submit", onLogin);
    $("start-btn").addEventListener("click", () => enterExam());
    $("prev-btn").addEventListener("click", () => go(st.index - 1));
    $("next-btn").addEventListener("click", () => go(st.index + 1));
    $("flag-btn").addEventListener("click", toggleFlag);
    $("submit-btn").addEventListener("click", openSubmitDialog);
    $("submit-cancel").addEventListener("click", () => $("submit-dialog").close());
    $("submit-confirm").addEventListener("click", confirmSubmit);
    $("submit-dialog").addEventListener("cancel", (e) => { if (st.finishing) { e.preventDefault(); } });
    $("submit-dialog").addEventListener("close", () => { if (st.screen === "exam" && !st.finishing) { $("submit-btn").focus(); } });
    $("time-warning-close").addEventListener("click", () => { $("time-warning").hidden = true; });
    $("final-done").addEventListener("click", () => {
      st.attemptId = null; st.questions = []; st.answers = {}; st.state = null; st.lostAfterDeadline = 0;
      $("q-options").dataset.position = "";
      showLogin("");
    });
    const fsBtn = $("fullscreen-btn");
    if (document.fullscreenEnabled === false || !document.documentElement.requestFullscreen) { fsBtn.hidden = true; }
    fsBtn.addEventListener("click", toggleFullscreen);
    document.addEventListener("fullscreenchange", onFullscreenChange);
    document.addEventListener("keydown", onKey);
    window.addEventListener("online", () => { st.backoff = 0; renderStatus(); flush(); heartbeat(); });
    window.addEventListener("offline", renderStatus);
    window.addEventListener("beforeunload", (e) => {
      if (st.queue.length) { e.preventDefault(); e.returnValue = ""; return ""; }
      return undefined;
    });
    if (st.token) { openAttempt(); } else { show("login"); }
  }

  init();
}());
