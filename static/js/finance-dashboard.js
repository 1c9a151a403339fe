// The finance dashboard's charts, from the JSON the page embeds (json_script, no inline script).
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colors = ["#0d6efd", "#dc3545", "#fd7e14", "#198754", "#6f42c1", "#20c997", "#6c757d", "#ffc107"];
  function draw(canvasId, dataId, type) {
    var source = document.getElementById(dataId);
    var canvas = document.getElementById(canvasId);
    if (!source || !canvas) { return; }
    var data = JSON.parse(source.textContent);
    data.datasets.forEach(function (set, i) {
      set.backgroundColor = colors[i % colors.length];
      set.borderColor = colors[i % colors.length];
    });
    new Chart(canvas, { type: type, data: data, options: { plugins: { legend: { position: "bottom" } } } });
  }
  draw("finance-months", "finance-months-data", "line");
  draw("finance-services", "finance-services-data", "bar");
})();
