/* Casebook exercises: the goal-table editor (add / remove / reorder rows, level-2 options that
   follow level 1, indicator autocomplete) and small helpers of the find-the-errors form.
   Plain JS, no build step. Without JS the server-rendered form still submits its fixed rows. */
(function () {
  "use strict";

  var FIELDS = ["level1", "level2", "name", "op", "value", "unit", "basis", "explanation"];

  function rows(table) { return Array.prototype.slice.call(table.querySelectorAll("tbody[data-row]")); }

  function renumber(table) {
    rows(table).forEach(function (body, index) {
      var number = body.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
      FIELDS.forEach(function (field) {
        var input = body.querySelector("[data-field='" + field + "']");
        if (input) { input.name = "ind-" + index + "-" + field; }
      });
    });
  }

  // [[level 1, [level 2, ...]], ...] of the exercise's framework and year, from the server.
  var level2Groups = null;

  function readLevel2Groups() {
    var node = document.getElementById("goal-level2-options");
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  }

  function isKnownLevel2(name) {
    return level2Groups.some(function (group) { return group[1].indexOf(name) !== -1; });
  }

  // Rebuild the level-2 choices of a row: only the classes of its level 1 (all, grouped, while
  // level 1 is empty or unknown). A choice that no longer fits is cleared; on page load an
  // unknown value from an uploaded table is kept so that the learner sees what was read.
  function filterLevel2(body, keepUnknown) {
    var level1 = body.querySelector("[data-field='level1']");
    var level2 = body.querySelector("[data-field='level2']");
    if (!level1 || !level2 || !level2Groups) { return; }
    var current = level2.value;
    var blank = level2.options.length ? level2.options[0].textContent : "—";
    var known = level2Groups.some(function (group) { return group[0] === level1.value; });
    level2.textContent = "";
    level2.appendChild(new Option(blank, ""));
    level2Groups.forEach(function (group) {
      if (known && group[0] !== level1.value) { return; }
      var parent = level2;
      if (!known) {
        parent = document.createElement("optgroup");
        parent.label = group[0];
        level2.appendChild(parent);
      }
      group[1].forEach(function (name) { parent.appendChild(new Option(name, name)); });
    });
    var offered = Array.prototype.some.call(level2.options, function (option) {
      return option.value === current;
    });
    if (!offered && keepUnknown === true && current && !isKnownLevel2(current)) {
      level2.appendChild(new Option(current, current));
      offered = true;
    }
    level2.value = offered ? current : "";
  }

  function clearRow(body) {
    Array.prototype.forEach.call(body.querySelectorAll("input, textarea"), function (el) { el.value = ""; });
    Array.prototype.forEach.call(body.querySelectorAll("select"), function (el) { el.selectedIndex = 0; });
    var findings = body.querySelector(".goal-row__findings");
    if (findings) { findings.parentNode.removeChild(findings); }
    body.className = "goal-row";
    var list = body.querySelector(".ac-list");
    if (list) { list.hidden = true; list.innerHTML = ""; }
  }

  function isNumeric(text) { return /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(String(text || "")); }

  function setupAutocomplete(form, table) {
    var url = form.getAttribute("data-autocomplete-url");
    var funcClass = form.getAttribute("data-func-class") || "";
    var timer = null;
    var controller = null;

    function close(list) { list.hidden = true; list.innerHTML = ""; }

    function choose(body, item) {
      var set = function (field, value) {
        var el = body.querySelector("[data-field='" + field + "']");
        if (el && value !== undefined && value !== null) { el.value = value; }
      };
      set("name", item.name);
      if (item.unit) { set("unit", item.unit); }
      if (isNumeric(item.typical_value)) { set("value", String(item.typical_value).trim()); }
      var level1 = body.querySelector("[data-field='level1']");
      if (level1 && !level1.value && item.level1) { level1.value = item.level1; filterLevel2(body); }
      var level2 = body.querySelector("[data-field='level2']");
      if (level2 && !level2.value && item.level2) { level2.value = item.level2; }
    }

    function search(input) {
      var body = input.closest("tbody[data-row]");
      var list = body.querySelector(".ac-list");
      var q = input.value.trim();
      if (q.length < 1) { close(list); return; }
      var params = new URLSearchParams({ q: q, "class": funcClass });
      var level1 = body.querySelector("[data-field='level1']").value;
      var level2 = body.querySelector("[data-field='level2']").value;
      if (level1) { params.set("level1", level1); }
      if (level2) { params.set("level2", level2); }
      if (controller) { controller.abort(); }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      fetch(url + "?" + params.toString(), {
        credentials: "same-origin", headers: { "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (data) {
        list.innerHTML = "";
        (data.results || []).forEach(function (item) {
          var li = document.createElement("li");
          li.setAttribute("role", "option");
          li.tabIndex = -1;
          var name = document.createElement("span");
          name.textContent = item.name;
          var meta = document.createElement("small");
          meta.textContent = " " + [item.level2, item.unit, item.typical_value].filter(Boolean).join(" · ");
          li.appendChild(name);
          li.appendChild(meta);
          li.addEventListener("mousedown", function (event) {
            event.preventDefault();
            choose(body, item);
            close(list);
          });
          list.appendChild(li);
        });
        list.hidden = list.children.length === 0;
      }).catch(function () { /* aborted or offline: no suggestions */ });
    }

    table.addEventListener("input", function (event) {
      var input = event.target;
      if (input.getAttribute("data-field") !== "name") { return; }
      clearTimeout(timer);
      timer = setTimeout(function () { search(input); }, 250);
    });
    table.addEventListener("focusout", function (event) {
      if (event.target.getAttribute("data-field") === "name") {
        var list = event.target.closest("tbody[data-row]").querySelector(".ac-list");
        setTimeout(function () { close(list); }, 150);
      }
    });
    table.addEventListener("keydown", function (event) {
      var input = event.target;
      if (input.getAttribute("data-field") !== "name") { return; }
      var list = input.closest("tbody[data-row]").querySelector(".ac-list");
      if (event.key === "Escape") { close(list); }
      if (event.key === "ArrowDown" && !list.hidden && list.firstChild) {
        event.preventDefault();
        list.firstChild.focus();
      }
    });
    table.addEventListener("keydown", function (event) {
      var li = event.target.closest && event.target.closest(".ac-list li");
      if (!li) { return; }
      if (event.key === "Enter") {
        event.preventDefault();
        li.dispatchEvent(new MouseEvent("mousedown"));
      } else if (event.key === "ArrowDown" && li.nextSibling) {
        event.preventDefault(); li.nextSibling.focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (li.previousSibling) { li.previousSibling.focus(); }
        else { li.closest("tbody[data-row]").querySelector("[data-field='name']").focus(); }
      }
    });
  }

  function setupEditor(form) {
    var table = form.querySelector("#goal-rows");
    if (!table) { return; }
    var maxRows = parseInt(form.getAttribute("data-max-rows"), 10) || 60;
    document.documentElement.classList.add("js");
    level2Groups = readLevel2Groups();
    rows(table).forEach(function (body) { filterLevel2(body, true); });

    table.addEventListener("change", function (event) {
      if (event.target.getAttribute("data-field") === "level1") {
        filterLevel2(event.target.closest("tbody[data-row]"));
      }
    });
    table.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) { return; }
      var body = button.closest("tbody[data-row]");
      var action = button.getAttribute("data-action");
      if (action === "up" && body.previousElementSibling && body.previousElementSibling.matches("tbody[data-row]")) {
        table.insertBefore(body, body.previousElementSibling);
      } else if (action === "down" && body.nextElementSibling) {
        table.insertBefore(body.nextElementSibling, body);
      } else if (action === "remove") {
        if (rows(table).length > 1) { body.parentNode.removeChild(body); } else { clearRow(body); }
      }
      renumber(table);
    });
    var add = form.querySelector("button[data-action='add']");
    if (add) {
      add.addEventListener("click", function () {
        var all = rows(table);
        if (all.length >= maxRows) { return; }
        var clone = all[all.length - 1].cloneNode(true);
        clearRow(clone);
        table.appendChild(clone);
        renumber(table);
        filterLevel2(clone);
        clone.querySelector("[data-field='level1']").focus();
      });
    }
    form.addEventListener("submit", function () { renumber(table); });
    setupAutocomplete(form, table);
  }

  function setupFindErrors(form) {
    // Choosing an error type ticks the row; unticking clears the type.
    form.addEventListener("change", function (event) {
      var row = event.target.closest("tr[data-mark-row]");
      if (!row) { return; }
      var box = row.querySelector("input[type=checkbox]");
      var select = row.querySelector("select");
      if (event.target === select && select.value) { box.checked = true; }
      if (event.target === box && !box.checked) { select.value = ""; }
      row.classList.toggle("is-marked", box.checked);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var editor = document.getElementById("goal-editor");
    if (editor) { setupEditor(editor); }
    var findErrors = document.getElementById("find-errors-form");
    if (findErrors) { setupFindErrors(findErrors); }
  });
})();
