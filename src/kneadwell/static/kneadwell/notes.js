/* The tablet note editor: tap the body chart to pick a region (for feedback and a new line), or, in
   mark mode, to place a coded finding; −/+ buttons for minutes. The form works without this file. */
(function () {
  "use strict";
  var VIEWBOX = { w: 200, h: 400 };

  function pick(form, token) {
    ["[data-focus-area]", "[data-new-area]"].forEach(function (sel) {
      var select = form.querySelector(sel);
      if (!select) { return; }
      var wanted = token;
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === wanted; })) {
        wanted = token.split(":")[0];
      }
      select.value = wanted;
    });
    form.querySelectorAll(".note-area").forEach(function (shape) {
      shape.classList.toggle("is-picked", shape.getAttribute("data-area") === token);
    });
  }

  function addMark(form, kind, shape, event) {
    var svg = shape.ownerSVGElement;
    var box = svg.getBoundingClientRect();
    var x = Math.round((event.clientX - box.left) / box.width * VIEWBOX.w);
    var y = Math.round((event.clientY - box.top) / box.height * VIEWBOX.h);
    var count = form.querySelector("[data-mark-count]");
    var i = parseInt(count.value, 10) || 0;
    var rows = form.querySelector("[data-mark-rows]");
    var row = document.createElement("div");
    row.className = "mark-row";
    var fields = { kind: kind, area: shape.getAttribute("data-area"), view: shape.getAttribute("data-view"), x: x, y: y };
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "mark-" + i + "-" + name;
      input.value = fields[name];
      row.appendChild(input);
    });
    var text = document.createElement("span");
    text.textContent = kind.replace(/_/g, " ") + " at " + fields.area + " (saved with the note)";
    row.appendChild(text);
    rows.appendChild(row);
    var empty = rows.querySelector("[data-no-marks]");
    if (empty) { empty.remove(); }
    count.value = i + 1;
    var dot = document.createElementNS("http://www.w3.org/2000/svg", "text");
    dot.setAttribute("x", x);
    dot.setAttribute("y", y);
    dot.setAttribute("text-anchor", "middle");
    dot.setAttribute("class", "mark");
    dot.textContent = "•";
    svg.appendChild(dot);
  }

  function total(form) {
    var sum = 0;
    form.querySelectorAll("[data-line] [data-minutes], .new-line [data-minutes]").forEach(function (input) {
      var line = input.closest("[data-line]");
      var removed = line && line.querySelector('input[name$="-delete"]:checked');
      if (!removed) { sum += parseInt(input.value, 10) || 0; }
    });
    var out = form.querySelector("[data-minutes-total]") || document.querySelector("[data-minutes-total]");
    if (out) { out.textContent = sum; }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    var form = target.closest("#note-form");
    if (!form) { return; }
    var shape = target.closest(".note-area");
    if (shape) {
      var mode = form.querySelector('input[name="mark-mode"]:checked');
      if (mode && mode.value) { addMark(form, mode.value, shape, event); }
      pick(form, shape.getAttribute("data-area"));
      return;
    }
    var step = target.closest("[data-step]");
    if (step) {
      var input = step.parentNode.querySelector("[data-minutes]");
      var value = (parseInt(input.value, 10) || 0) + parseInt(step.getAttribute("data-step"), 10);
      input.value = Math.max(0, Math.min(240, value));
      total(form);
    }
  });
  document.addEventListener("input", function (event) {
    var form = event.target.closest ? event.target.closest("#note-form") : null;
    if (form) { total(form); }
  });
})();
