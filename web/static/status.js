/* Keep the dashboard's status box current by polling the JSON API every 2 seconds.
   Plain ES5 and XMLHttpRequest: operators use old PCs and cheap phones. Every
   text shown is set with textContent; translated texts come from the page. */
(function () {
  "use strict";
  var box = document.getElementById("player-status");
  if (!box || !window.XMLHttpRequest) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var waiting = false;

  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = value;
    }
  }

  // The API gives station-local ISO times ("2023-03-28T07:30:05.123+08:00").
  function stamp(iso) {
    return iso ? iso.slice(0, 10) + " " + iso.slice(11, 19) : "";
  }

  function position(playing) {
    var el = document.getElementById("now-playing-item");
    // A single notice needs no "item 1 of 1".
    if (!el || !playing.item || !playing.items || playing.items < 2) {
      return "";
    }
    return el.getAttribute("data-template")
      .replace("{n}", playing.item)
      .replace("{total}", playing.items);
  }

  function apply(status) {
    var clock = status.clock.synchronized;
    var playing = status.now_playing;
    var heartbeat = document.getElementById("heartbeat");
    box.setAttribute("data-player", status.player.running ? "up" : "down");
    box.setAttribute("data-clock", clock === true ? "yes" : clock === false ? "no" : "unknown");
    box.setAttribute("data-playing", playing ? "yes" : "no");
    setText("now-playing-name", playing ? playing.name : "");
    setText("now-playing-item", playing ? position(playing) : "");
    if (heartbeat) {
      heartbeat.textContent = stamp(status.player.heartbeat) || heartbeat.getAttribute("data-never");
    }
  }

  function failed() {
    waiting = false;
    box.setAttribute("data-stale", "yes");
  }

  function poll() {
    if (waiting || document.hidden) {
      return;
    }
    waiting = true;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.timeout = 5000;
    xhr.onload = function () {
      waiting = false;
      if (xhr.status === 401) {
        window.location.reload(); // the session ended: show the log-in page
        return;
      }
      if (xhr.status !== 200) {
        failed();
        return;
      }
      try {
        apply(JSON.parse(xhr.responseText));
        box.removeAttribute("data-stale");
      } catch (e) {
        failed();
      }
    };
    xhr.onerror = failed;
    xhr.ontimeout = failed;
    xhr.send();
  }

  window.setInterval(poll, 2000);
})();
