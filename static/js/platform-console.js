// The platform console's sparklines: each organization's tickets and inbound events per day, from the JSON the
// page embeds (json_script, no inline script).
(function () {
  "use strict";
  var source = document.getElementById("platform-console-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colors = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];
  document.querySelectorAll("canvas.console-spark").forEach(function (canvas) {
    var daily = data.organizations[canvas.dataset.organization] || {};
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (item, i) {
          return { label: item.label, data: daily[item.key] || [], borderColor: colors[i % colors.length],
                   borderWidth: 1.5, pointRadius: 0, tension: 0.3 };
        })
      },
      options: {
        responsive: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { intersect: false, mode: "index" } },
        scales: { x: { display: false }, y: { display: false, beginAtZero: true } }
      }
    });
  });
})();
