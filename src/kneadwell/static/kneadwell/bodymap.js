/* Body map: clicking a shape ticks the matching area checkbox (the real input), so htmx and plain
   form posts see the same value; the shapes are redrawn from the checkboxes after every change. */
(function () {
  "use strict";
  function sync() {
    document.querySelectorAll("[data-bodymap]").forEach(function (map) {
      var on = {};
      map.querySelectorAll('input[name="area"]').forEach(function (box) { on[box.value] = box.checked; });
      map.querySelectorAll("[data-area]").forEach(function (shape) {
        shape.classList.toggle("is-on", !!on[shape.getAttribute("data-area")]);
      });
    });
  }
  document.addEventListener("click", function (event) {
    var shape = event.target.closest ? event.target.closest("[data-area]") : null;
    if (!shape) { return; }
    var map = shape.closest("[data-bodymap]");
    if (!map) { return; }
    var token = shape.getAttribute("data-area");
    map.querySelectorAll('input[name="area"]').forEach(function (box) {
      if (box.value === token) { box.click(); }
    });
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "area") { sync(); }
  });
  document.addEventListener("DOMContentLoaded", sync);
  document.addEventListener("htmx:afterSettle", sync);
})();
