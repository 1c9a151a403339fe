// The supervisor board's chart: waiting, at risk and breached per queue, from the JSON the live part embeds
// (json_script, no inline script); redrawn with the new figures each time htmx swaps the live part in.
(function () {
  "use strict";
  var canvas = document.getElementById("board-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  var chart = null;

  function figures() {
    var source = document.getElementById("board-chart-data");
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw() {
    var data = figures();
    if (!data) { return; }
    var datasets = data.series.map(function (s) {
      return { label: s.label, data: s.data, backgroundColor: s.color, maxBarThickness: 40 };
    });
    if (chart) {
      chart.data.labels = data.labels;
      chart.data.datasets = datasets;
      chart.update("none");
      return;
    }
    chart = new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  draw();
  // Any settle may be the live part's (an outerHTML swap settles on the new element); drawing is cheap.
  document.body.addEventListener("htmx:afterSettle", draw);
})();
