// The reconciliation report's 30-day chart: match rate (line) and discrepancies (bars), from the embedded JSON.
(function () {
  "use strict";
  var source = document.getElementById("recon-chart-data");
  var canvas = document.getElementById("recon-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  data.datasets[0].type = "line";
  data.datasets[0].borderColor = "#198754";
  data.datasets[1].backgroundColor = "#ffc107";
  new Chart(canvas, {
    type: "bar",
    data: data,
    options: {
      scales: { rate: { position: "left", min: 0, max: 100 }, count: { position: "right", beginAtZero: true } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
