/* Keep the town emergency's table of village answers current: the JSON API twice
   a second. Plain ES5 and XMLHttpRequest, as status.js; every text is set with
   textContent, and the words come translated from the server. */
(function () {
  "use strict";
  var card = document.getElementById("answers-card");
  if (!card || !window.XMLHttpRequest) {
    return;
  }
  var url = card.getAttribute("data-answers-url");
  var stale = document.getElementById("answers-stale");
  var waiting = false;

  function rowOf(village) {
    var rows = card.querySelectorAll("tr[data-village]");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-village") === village) {
        return rows[i];
      }
    }
    return null;
  }

  function apply(answer) {
    var row = rowOf(answer.village);
    if (!row) {
      return;
    }
    var badge = row.querySelector(".state");
    badge.textContent = answer.state_words;
    badge.className = "badge state answer-" + answer.state.replace(" ", "-");
    row.querySelector(".why").textContent = answer.reason_words;
    // Station-local ISO time: "2026-12-05T16:00:01.123+08:00" shows as 16:00:01.
    row.querySelector(".when").textContent = answer.answered_at ? answer.answered_at.slice(11, 19) : "";
  }

  function poll() {
    if (waiting) {
      return;
    }
    waiting = true;
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      waiting = false;
      if (request.status !== 200) {
        stale.hidden = false;
        return;
      }
      stale.hidden = true;
      var answers = JSON.parse(request.responseText).answers;
      for (var i = 0; i < answers.length; i++) {
        apply(answers[i]);
      }
    };
    request.onerror = function () {
      waiting = false;
      stale.hidden = false;
    };
    request.send();
  }

  // Twice a second, so a change shows within a second of the answer, however it falls.
  window.setInterval(poll, 500);
})();
