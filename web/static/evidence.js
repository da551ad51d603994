/* 活动影像: send a photo or video in pieces with a progress bar, resume after a lost
   connection (also after reloading the page: the upload's id is remembered per file),
   ask the server what day the file says it was taken, then save it with caption and
   topic. Plain ES5 with XMLHttpRequest, whose upload progress fetch() cannot report. */
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  if (!form) {
    return;
  }
  var fileInput = document.getElementById("evidence-file");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var uploadId = document.getElementById("upload-id");
  var takenOn = document.getElementById("taken-on");
  var save = document.getElementById("evidence-save");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var CHUNK = Number(form.dataset.chunk);
  var RETRIES = 8;

  function say(text) {
    status.textContent = text;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return values[key] !== undefined ? values[key] : whole;
    });
  }

  function request(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.setRequestHeader("Accept", "application/json");
      if (typeof body === "string") {
        xhr.setRequestHeader("Content-Type", "application/json");
      }
      if (onProgress) {
        xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      }
      xhr.onload = function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (ignore) { answer = {}; }
        resolve({ status: xhr.status, body: answer });
      };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.send(body);
    });
  }

  function keyOf(file) {
    return "evidence-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function showProgress(file, sent) {
    var percent = Math.floor((100 * sent) / file.size);
    progress.hidden = false;
    progress.value = percent;
    say(fill(form.dataset.sending, {
      percent: percent,
      sent: (sent / 1e6).toFixed(1),
      total: (file.size / 1e6).toFixed(1)
    }));
  }

  function begin(file) {
    var remembered = localStorage.getItem(keyOf(file));
    var resumed = remembered
      ? request("GET", form.dataset.start + "/" + remembered, null)
      : Promise.resolve({ status: 404 });
    return resumed.then(function (answer) {
      if (answer.status === 200) {
        return answer.body;
      }
      return request("POST", form.dataset.start, JSON.stringify({ size: file.size }))
        .then(function (started) {
          if (started.status !== 201) {
            throw new Error(started.body.error || String(started.status));
          }
          localStorage.setItem(keyOf(file), started.body.id);
          return started.body;
        });
    });
  }

  function sendFrom(file, state, failures) {
    if (state.received >= file.size) {
      return Promise.resolve(state);
    }
    var piece = file.slice(state.received, state.received + CHUNK);
    var url = form.dataset.start + "/" + state.id + "?offset=" + state.received;
    return request("PUT", url, piece, function (loaded) {
      showProgress(file, state.received + loaded);
    }).then(function (answer) {
      if (answer.status === 200) {
        showProgress(file, answer.body.received);
        return sendFrom(file, answer.body, 0);
      }
      if (answer.status === 409) {  // out of step: ask where the upload stands
        return request("GET", form.dataset.start + "/" + state.id, null).then(function (now) {
          return sendFrom(file, now.body, failures + 1);
        });
      }
      throw new Error(answer.body.error || String(answer.status));
    }, function () {
      if (failures >= RETRIES) {
        throw new Error(form.dataset.resuming);
      }
      say(form.dataset.resuming);
      return wait(1000 * (failures + 1)).then(function () {
        return request("GET", form.dataset.start + "/" + state.id, null);
      }).then(function (now) {
        return sendFrom(file, now.status === 200 ? now.body : state, failures + 1);
      }, function () {
        return sendFrom(file, state, failures + 1);
      });
    });
  }

  function check(file, state) {
    say(form.dataset.checking);
    return request("POST", form.dataset.start + "/" + state.id + "/probe", null)
      .then(function (answer) {
        if (answer.status !== 200) {
          localStorage.removeItem(keyOf(file));
          throw new Error(answer.body.error || String(answer.status));
        }
        if (answer.body.taken_on) {
          takenOn.value = answer.body.taken_on;
        }
        uploadId.value = state.id;
        save.disabled = false;
        say(answer.body.kind === "video" ? form.dataset.readyVideo : form.dataset.readyPhoto);
      });
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    save.disabled = true;
    uploadId.value = "";
    if (!file) {
      return;
    }
    if (file.size > Number(form.dataset.largest)) {
      say(form.dataset.tooLarge);
      return;
    }
    showProgress(file, 0);
    begin(file).then(function (state) {
      return sendFrom(file, state, 0);
    }).then(function (state) {
      return check(file, state);
    }).catch(function (error) {
      progress.hidden = true;
      say(fill(form.dataset.failed, { reason: error.message }));
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    save.disabled = true;
    request("POST", form.action, new FormData(form)).then(function (answer) {
      if (answer.status === 201) {
        if (file) {
          localStorage.removeItem(keyOf(file));
        }
        window.location.assign(answer.body.url);
        return;
      }
      save.disabled = false;
      say(fill(form.dataset.failed, { reason: answer.body.error || String(answer.status) }));
    }, function () {
      save.disabled = false;
      say(form.dataset.resuming);
    });
  });
}());
