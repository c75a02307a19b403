// Scheduling pages: copy a feed URL, confirm irreversible buttons, and help the session form
// (the room's kind, seats and items). The server checks everything again; this only saves typing.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) { return; }
      var done = function () { button.textContent = "已复制"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  var form = document.getElementById("session-form");
  if (!form) { return; }
  var rooms = JSON.parse(form.getAttribute("data-rooms") || "{}");
  var room = document.getElementById("room_id");
  var kind = document.getElementById("kind");
  var capacity = document.getElementById("capacity");
  var hint = document.getElementById("room-hint");

  function applyRoom(initial) {
    var info = rooms[room.value];
    if (!info) { return; }
    if (kind && kind.value !== info.kind) { kind.value = info.kind; }
    if (capacity) {
      capacity.max = info.seats;
      if (!capacity.value || (!initial && Number(capacity.value) > info.seats)) { capacity.value = info.seats; }
    }
    if (hint) {
      hint.textContent = (info.kind === "theory" ? "可用座位 " : "考位 ") + info.seats + " 个" +
        (info.kind === "practical" ? "；只能选择本考位可考核的项目" : "");
    }
    form.querySelectorAll("input[name='items']").forEach(function (box) {
      var allowed = info.kind !== "practical" || info.items.indexOf(Number(box.value)) >= 0;
      if (initial && box.checked) { return; }  // keep what was posted, so the refusal beside it makes sense
      box.disabled = !allowed;
      if (!allowed) { box.checked = false; }
    });
  }

  if (room) {
    room.addEventListener("change", function () { applyRoom(false); });
    applyRoom(true);
  }
})();
