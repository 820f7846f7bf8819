/* Quiz attempts: save every answer as it is given, and count down the server's deadline.
   The form still works without JavaScript (answers are saved when a page is submitted). */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timers = {};

  function say(text) { if (status) { status.textContent = text; } }

  /* Whether the learner has given an answer in this fieldset (read from the form itself:
     nothing about the answer comes from the server). */
  function hasAnswer(fieldset) {
    var given = false;
    fieldset.querySelectorAll("input, textarea").forEach(function (el) {
      if (!el.name) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { given = true; }
      } else if (el.value.trim()) {
        given = true;
      }
    });
    return given;
  }

  /* Mark the question's navigation button once its answer is saved (or unmark a cleared one). */
  function markNav(id, answered) {
    var item = document.querySelector(".question-nav__item[data-nav-question='" + id + "']");
    if (!item) { return; }
    item.classList.toggle("is-answered", answered);
    var state = item.querySelector(".nav-state");
    if (state) { state.textContent = answered ? state.getAttribute("data-answered-label") : ""; }
  }

  function save(fieldset) {
    var id = fieldset.getAttribute("data-question");
    var answered = hasAnswer(fieldset);
    var data = new FormData();
    data.append("question", id);
    fieldset.querySelectorAll("input, textarea").forEach(function (el) {
      if (el.disabled || !el.name) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    say(form.getAttribute("data-saving") || "…");
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (body.saved) {
          say("✓ " + new Date().toLocaleTimeString());
          fieldset.setAttribute("data-saved", "1");
          fieldset.classList.add("is-saved");
          markNav(id, answered);
          return;
        }
        say(body.error || "!");
        if (body.expired) { window.location.reload(); }
      });
    }).catch(function () { say("!"); });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (fieldset) { save(fieldset); }
  });
  form.addEventListener("input", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (!fieldset || event.target.type === "radio" || event.target.type === "checkbox") { return; }
    var id = fieldset.getAttribute("data-question");
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { save(fieldset); }, 800);
  });

  var timer = document.getElementById("quiz-timer");
  if (timer) {
    var deadline = Date.now() + 1000 * parseInt(timer.getAttribute("data-remaining"), 10);
    var out = timer.querySelector("strong");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      out.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 0) { window.location.reload(); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
