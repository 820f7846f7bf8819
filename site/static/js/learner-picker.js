/* Learner picker for the admin queues: type a name or 工号, choose from the list; the chosen
   learner's account id goes into the hidden field the queue filters by. Without JavaScript the
   typed text is sent as it is and the queue matches it against names and 工号. */
(function () {
  "use strict";

  function setup(root) {
    var input = root.querySelector("[data-picker-input]");
    var hidden = root.querySelector("[data-picker-value]");
    var list = root.querySelector("[data-picker-list]");
    var url = root.getAttribute("data-picker-url");
    var timer = null;
    var active = -1;
    var request = 0;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function choose(item) {
      hidden.value = item.getAttribute("data-id");
      input.value = item.getAttribute("data-label");
      close();
    }

    function render(results) {
      list.innerHTML = "";
      if (!results.length) {
        var empty = document.createElement("li");
        empty.className = "learner-picker__empty";
        empty.textContent = root.getAttribute("data-picker-empty");
        list.appendChild(empty);
      }
      results.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = root.id + "-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-id", String(result.id));
        item.setAttribute("data-label", result.label);
        item.textContent = result.label;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(item); });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function search() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var mine = ++request;
      fetch(url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" }
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (data) {
        if (mine === request) { render(data.results || []); }
      }).catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      hidden.value = "";  // typed text no longer names the chosen learner
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    var clear = root.querySelector("[data-picker-clear]");
    if (clear) {
      clear.addEventListener("click", function () { hidden.value = ""; input.value = ""; close(); input.focus(); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-learner-picker]").forEach(setup);
  });
}());
