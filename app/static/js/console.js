// The proctor's console: refresh the seat map from console.json every 5 s (the clocks tick down in
// between, from the server's figure, never from this computer's clock), and run the per-seat actions
// through a dialog that requires a reason. The server checks everything again.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root || !window.fetch) { return; }
  var interval = parseInt(root.dataset.interval, 10) || 5000;
  var statusLine = document.getElementById("console-status");
  var summary = document.getElementById("console-summary");
  var pageMessage = document.getElementById("console-message");
  var polledAt = performance.now();
  var timer = null;
  var RUNNING = { answering: true, disconnected: true };  // the server's clock runs for these

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) { return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60); }

  function alertBox(ok, text) {
    var box = document.createElement("div");
    box.className = "alert " + (ok ? "alert-success" : "alert-danger") + " mb-2";
    box.setAttribute("role", ok ? "status" : "alert");
    box.textContent = text;
    return box;
  }

  // ---- live refresh ---------------------------------------------------------------------
  function setState(card, row) {
    card.className = card.className.replace(/\bseat-[a-z_]+\b/g, "").trim() + " seat-" + row.state;
    card.classList.add("seat-card");
    card.dataset.state = row.state;
    card.dataset.actions = row.actions.join(" ");
    card.querySelector("[data-field='label']").textContent = row.label;
    card.querySelector("[data-field='progress']").textContent = row.progress;
    var live = row.state === "answering" || row.state === "paused" || row.state === "disconnected";
    var clockCell = card.querySelector("[data-field='time_left']");
    clockCell.dataset.seconds = live && row.remaining_seconds !== null ? row.remaining_seconds : "";
    clockCell.textContent = row.time_left;
    card.querySelectorAll("[data-action]").forEach(function (item) {
      item.disabled = row.actions.indexOf(item.dataset.action) < 0;
    });
    var menu = card.querySelector(".seat-menu");
    if (menu) { menu.disabled = row.actions.length === 0; }
  }

  function renderSummary(items) {
    if (!summary) { return; }
    var nodes = items.map(function (s) {
      var li = document.createElement("li");
      li.className = "list-inline-item";
      var dot = document.createElement("span");
      dot.className = "seat-dot seat-" + s.state;
      var count = document.createElement("strong");
      count.textContent = s.count;
      li.append(dot, s.label + " ", count);
      return li;
    });
    summary.replaceChildren.apply(summary, nodes);
  }

  function render(data) {
    polledAt = performance.now();
    data.rows.forEach(function (row) {
      var card = root.querySelector(".seat-card[data-reg='" + row.registration_id + "']");
      if (card) { setState(card, row); }
    });
    renderSummary(data.summary || []);
    if (statusLine) {
      statusLine.classList.remove("console-status-offline");
      statusLine.textContent = root.dataset.msgUpdated + " " + new Date().toTimeString().slice(0, 8);
    }
  }

  function poll() {
    window.clearTimeout(timer);
    fetch(root.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () {
        if (statusLine) {
          statusLine.classList.add("console-status-offline");
          statusLine.textContent = root.dataset.msgOffline;
        }
      })
      .then(function () { timer = window.setTimeout(poll, interval); });
  }

  function tick() {
    var elapsed = Math.floor((performance.now() - polledAt) / 1000);
    root.querySelectorAll(".seat-card").forEach(function (card) {
      var cell = card.querySelector("[data-field='time_left']");
      if (!cell || cell.dataset.seconds === "" || !RUNNING[card.dataset.state]) { return; }
      var left = Math.max(0, parseInt(cell.dataset.seconds, 10) - elapsed);
      cell.textContent = clock(left);
      cell.classList.toggle("is-low", left < 300);
    });
  }

  timer = window.setTimeout(poll, interval);
  window.setInterval(tick, 1000);

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // ---- the action dialog ------------------------------------------------------------------
  var dialog = document.getElementById("action-dialog");
  var form = document.getElementById("action-form");
  if (!dialog || !form) { return; }
  var result = document.getElementById("action-result");
  var reason = document.getElementById("action-reason");
  var minutes = document.getElementById("action-minutes");
  var minutesGroup = document.getElementById("action-minutes-group");
  var submit = document.getElementById("action-submit");
  var modal = window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(dialog) : null;
  var busy = false;

  function openDialog(item) {
    var seat = root.dataset.msgSeat.replace("{seat}", item.dataset.seat || "—");
    document.getElementById("action-reg").value = item.closest(".seat-card").dataset.reg;
    document.getElementById("action-code").value = item.dataset.action;
    document.getElementById("action-title").textContent = item.textContent.trim();
    document.getElementById("action-who").textContent = seat + " " + item.dataset.name;
    minutesGroup.classList.toggle("d-none", item.dataset.action !== "extra_time");
    minutes.value = item.dataset.action === "extra_time" ? "10" : "";
    reason.value = "";
    result.replaceChildren();
    if (modal) {
      modal.show();
    } else {
      // Without Bootstrap's script: the plain form at the bottom of the page does the same.
      var fallback = root.querySelector(".console-fallback");
      if (fallback) { fallback.open = true; fallback.scrollIntoView(); }
    }
  }

  root.addEventListener("click", function (event) {
    var item = event.target.closest("[data-action]");
    if (item && !item.disabled) { openDialog(item); }
  });
  dialog.addEventListener("shown.bs.modal", function () {
    (minutesGroup.classList.contains("d-none") ? reason : minutes).focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    if (!reason.value.trim()) {
      result.replaceChildren(alertBox(false, submit.dataset.msgReason));
      reason.focus();
      return;
    }
    var m = parseInt(minutes.value, 10);
    if (!minutesGroup.classList.contains("d-none") && !(m >= 1 && m <= 120)) {
      result.replaceChildren(alertBox(false, submit.dataset.msgMinutes));
      minutes.focus();
      return;
    }
    busy = true;
    submit.disabled = true;
    var body = new FormData(form);
    var headers = { "Accept": "application/json" };
    var csrf = form.querySelector("input[name='csrf_token']");
    if (csrf) { headers["X-CSRFToken"] = csrf.value; }
    fetch(form.getAttribute("action"), { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var ok = data.ok === true;
        var text = data.message || (data.error && data.error.message) || root.dataset.msgFailed;
        result.replaceChildren(alertBox(ok, text));
        if (ok) {
          pageMessage.replaceChildren(alertBox(true, text));
          poll();
          window.setTimeout(function () { if (modal) { modal.hide(); } }, 900);
        }
      })
      .catch(function () { result.replaceChildren(alertBox(false, root.dataset.msgFailed)); })
      .then(function () { busy = false; submit.disabled = false; });
  });

})();
