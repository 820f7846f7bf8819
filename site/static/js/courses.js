// Lesson study time: while the lesson is open and visible, tell the server every 30 s. The
// server measures the time itself (it adds the real gap between beats, never more), so this
// script only says "still here"; when the minimum is reached the finish button is enabled.
(function () {
  "use strict";
  var lesson = document.querySelector("[data-heartbeat-url]");
  if (!lesson) { return; }
  var url = lesson.getAttribute("data-heartbeat-url");
  var interval = (parseInt(lesson.getAttribute("data-heartbeat-interval"), 10) || 30) * 1000;
  var button = document.querySelector("[data-finish-button]");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var timer = null;

  function beat() {
    var body = new FormData();
    if (csrf) { body.append("csrfmiddlewaretoken", csrf.value); }
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && button && data.seconds_left === 0) { button.disabled = false; }
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }
  function start() { if (!timer) { beat(); timer = window.setInterval(beat, interval); } }
  function stop() { if (timer) { window.clearInterval(timer); timer = null; beat(); } }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { start(); } else { stop(); }
  });
  if (document.visibilityState === "visible") { start(); }
})();
