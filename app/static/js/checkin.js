// The check-in desk: submit without reloading (USB scanner or typed number), show the identity
// card or the refusal, reload the roster, and scan the ticket QR with the tablet camera —
// BarcodeDetector when the browser has it, else the bundled jsQR (loaded only when needed).
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form || !window.fetch) { return; }
  var input = form.querySelector("input[name='code']");
  var result = document.getElementById("checkin-result");
  var roster = document.getElementById("checkin-roster");
  var csrf = form.querySelector("input[name='csrf_token']");
  var busy = false;

  function showRefusal(text) {
    var box = document.createElement("div");
    box.className = "alert alert-danger checkin-refusal";
    box.setAttribute("role", "alert");
    box.textContent = text;
    result.replaceChildren(box);
  }

  function reloadRoster() {
    fetch(form.dataset.rosterUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { roster.innerHTML = html; })
      .catch(function () { /* the list refreshes with the next check-in */ });
  }

  function submitCode(code) {
    if (busy || !code.trim()) { return; }
    busy = true;
    var body = new FormData(form);
    body.set("code", code.trim());
    var headers = { "Accept": "application/json" };
    if (csrf) { headers["X-CSRFToken"] = csrf.value; }
    fetch(form.action, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.html) {
          result.innerHTML = data.html;
          reloadRoster();
        } else {
          showRefusal((data.error && data.error.message) || form.dataset.msgFailed);
        }
      })
      .catch(function () { showRefusal(form.dataset.msgFailed); })
      .then(function () { busy = false; input.value = ""; input.focus(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitCode(input.value);
  });

  // ---- camera scan ----------------------------------------------------------------------
  var toggle = document.getElementById("camera-toggle");
  var video = document.getElementById("camera-video");
  var stream = null, detector = null, canvas = null, lastCode = "", lastAt = 0;
  if (!toggle || !video) { return; }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function prepareDecoder() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return null;
        }
        return window.jsQR ? null : loadScript(toggle.dataset.jsqr);
      });
    }
    return window.jsQR ? Promise.resolve() : loadScript(toggle.dataset.jsqr);
  }

  function decodeFrame() {
    if (video.readyState < 2 || !video.videoWidth) { return Promise.resolve(null); }
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
    }
    var scale = Math.min(1, 640 / video.videoWidth);
    var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, w, h);
    var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function scan() {
    if (!stream) { return; }
    decodeFrame()
      .then(function (text) {
        var now = Date.now();
        // The same ticket stays in front of the camera for a while: submit it once.
        if (text && (text !== lastCode || now - lastAt > 5000)) {
          lastCode = text;
          lastAt = now;
          submitCode(text);
        }
      })
      .catch(function () { /* a frame that cannot be read: try the next one */ })
      .then(function () { window.setTimeout(scan, 200); });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    stream = null;
    video.srcObject = null;
    video.classList.add("d-none");
    toggle.textContent = toggle.dataset.labelStart;
    input.focus();
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showRefusal(toggle.dataset.msgUnsupported);
      return;
    }
    prepareDecoder()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.classList.remove("d-none");
        toggle.textContent = toggle.dataset.labelStop;
        return video.play();
      })
      .then(scan)
      .catch(function () { stop(); showRefusal(toggle.dataset.msgDenied); });
  }

  toggle.addEventListener("click", function () { if (stream) { stop(); } else { start(); } });
})();
