// The SLA report's chart: hit rates per group, from the JSON the page embeds (json_script, no inline script).
(function () {
  "use strict";
  var source = document.getElementById("sla-chart-data");
  var canvas = document.getElementById("sla-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colors = ["#0d6efd", "#198754"];
  data.datasets.forEach(function (set, i) { set.backgroundColor = colors[i % colors.length]; });
  new Chart(canvas, {
    type: "bar",
    data: data,
    options: { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } }
  });
})();
