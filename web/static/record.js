/* Record an announcement's voice with the phone's microphone (MediaRecorder), listen
   back, then upload it through the same form and route as a chosen file: the
   recording is put into the form's file input and the form is submitted, so the
   server checks and levels it exactly like any upload. Plain ES5 with promises. */
(function () {
  "use strict";
  var recorders = document.querySelectorAll(".recorder");
  // Containers the server reads, best first; the browser's default otherwise.
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
  var EXTENSIONS = { "audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mp4": ".m4a" };
  var i;

  function supported() {
    // getUserMedia exists only in a secure context: https:// or this computer.
    return Boolean(window.MediaRecorder && navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia && window.DataTransfer);
  }

  function chosenType() {
    var j;
    for (j = 0; j < TYPES.length; j += 1) {
      if (MediaRecorder.isTypeSupported(TYPES[j])) {
        return TYPES[j];
      }
    }
    return "";
  }

  function clock(seconds) {
    var whole = Math.floor(seconds);
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function show(element, visible) {
    element.hidden = !visible;
  }

  function setUp(box) {
    var form = box.closest("form");
    var input = form.querySelector("input[type=file]");
    var start = box.querySelector(".record");
    var stop = box.querySelector(".stop-recording");
    var status = box.querySelector(".recorder-status");
    var playback = box.querySelector(".recorder-playback");
    var upload = box.querySelector(".recorder-upload");
    var maxSeconds = parseFloat(box.getAttribute("data-max-seconds")) || 600;
    var recorder = null;
    var chunks = [];
    var began = 0;
    var ticker = null;
    var recording = null;
    var recordedSeconds = 0;

    function say(template, values) {
      var text = box.getAttribute(template) || "";
      var key;
      for (key in values) {
        if (Object.prototype.hasOwnProperty.call(values, key)) {
          text = text.replace("{" + key + "}", values[key]);
        }
      }
      status.textContent = text;
    }

    function elapsed() {
      return (Date.now() - began) / 1000;
    }

    function tick() {
      var seconds = elapsed();
      say("data-recording", { time: clock(seconds) });
      if (seconds >= maxSeconds) {
        finish();
      }
    }

    function finish() {
      if (recorder && recorder.state !== "inactive") {
        recordedSeconds = elapsed();
        recorder.stop();
      }
    }

    function stopped(stream) {
      return function () {
        var type = (recorder.mimeType || chosenType() || "audio/webm").split(";")[0];
        window.clearInterval(ticker);
        stream.getTracks().forEach(function (track) { track.stop(); });
        recording = new File(chunks, "microphone" + (EXTENSIONS[type] || ".webm"), { type: type });
        if (playback.src) {
          URL.revokeObjectURL(playback.src);
        }
        playback.src = URL.createObjectURL(recording);
        say("data-recorded", { time: clock(recordedSeconds) });
        show(stop, false);
        start.textContent = start.getAttribute("data-again");
        show(start, true);
        show(playback, true);
        show(upload, true);
      };
    }

    function record(stream) {
      var type = chosenType();
      chunks = [];
      recording = null;
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size > 0) {
          chunks.push(event.data);
        }
      });
      recorder.addEventListener("stop", stopped(stream));
      began = Date.now();
      // A chunk a second: a long recording never waits in one piece until the end.
      recorder.start(1000);
      ticker = window.setInterval(tick, 250);
      tick();
      show(start, false);
      show(stop, true);
      show(playback, false);
      show(upload, false);
    }

    start.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(record, function (error) {
        say("data-failed", { reason: error.message || error.name });
      });
    });
    stop.addEventListener("click", finish);
    upload.addEventListener("click", function () {
      var files = new DataTransfer();
      if (!recording) {
        return;
      }
      files.items.add(recording);
      input.files = files.files;
      upload.textContent = upload.getAttribute("data-busy");
      upload.disabled = true;
      start.disabled = true;
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
    show(box, true);
  }

  if (!recorders.length) {
    return;
  }
  if (!supported()) {
    var notes = document.querySelectorAll(".recorder-unavailable");
    for (i = 0; i < notes.length; i += 1) {
      show(notes[i], true);
    }
    return;
  }
  for (i = 0; i < recorders.length; i += 1) {
    setUp(recorders[i]);
  }
})();
