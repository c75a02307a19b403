// Training pages: online-lesson progress heartbeats and the mock-exam timer.
(function () {
  "use strict";

  // Heartbeats: every N seconds while playing (and on pause/end) report the playback position. The
  // server credits only what it saw advance in real time, so seeking ahead credits nothing.
  var video = document.getElementById("lesson-video");
  if (video && window.fetch) {
    var url = video.dataset.beatUrl;
    var every = Math.max(5, parseInt(video.dataset.interval || "15", 10)) * 1000;
    var status = document.getElementById("lesson-progress");
    var timer = null;
    var send = function () {
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": video.dataset.csrf },
        body: JSON.stringify({ position: video.currentTime })
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (data && data.total_hours !== undefined && status) {
          status.textContent = "本课已计 " + data.lesson_hours + " 学时；培训班合计 " + data.total_hours + " / " +
            data.required_hours + " 学时。" + (data.completed ? "学时已满，培训完成。" : "");
        }
      }).catch(function () { /* the next heartbeat retries */ });
    };
    video.addEventListener("play", function () {
      send();
      if (!timer) { timer = window.setInterval(send, every); }
    });
    var stop = function () { send(); if (timer) { window.clearInterval(timer); timer = null; } };
    video.addEventListener("pause", stop);
    video.addEventListener("ended", stop);
  }

  // The mock-exam countdown: submits the paper when the time is up.
  var clock = document.getElementById("mock-timer");
  var form = document.getElementById("mock-form");
  if (clock && form) {
    var left = parseInt(clock.dataset.remaining || "0", 10);
    var deadline = Date.now() + left * 1000;
    var tick = function () {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      clock.textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
      if (s <= 0) { window.clearInterval(handle); form.submit(); }
    };
    var handle = window.setInterval(tick, 1000);
  }
})();
