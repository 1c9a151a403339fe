// The finance dashboard's charts, from the JSON the page embeds (json_script, no inline script).
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colors = ["#0d6efd", "#dc3545", "#fd7e14", "#198754", "#6f42c1", "#20c997", "#6c757d", "#ffc107"];
  // One colour per series of the monthly chart, whatever the currency shown.
  var seriesColors = { revenue: "#0d6efd", refunds: "#dc3545", fees: "#fd7e14", margin: "#198754" };

  function readJson(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  // The monthly chart: one currency at a time (amounts of different currencies never share an axis); the segment
  // into the current month is dashed and its point hollow, as its figures are month to date.
  function drawMonths() {
    var canvas = document.getElementById("finance-months");
    var data = readJson("finance-months-data");
    if (!canvas || !data || !data.currencies.length) { return; }
    var chart = null;
    function show(entry) {
      var partial = entry.partial_index;
      var datasets = entry.datasets.map(function (set) {
        var color = seriesColors[set.key] || colors[0];
        return {
          label: set.label, data: set.data, borderColor: color, backgroundColor: color,
          pointBackgroundColor: entry.labels.map(function (_l, i) { return i === partial ? "#fff" : color; }),
          segment: { borderDash: function (ctx) { return ctx.p1DataIndex === partial ? [6, 4] : undefined; } }
        };
      });
      if (chart) { chart.destroy(); }
      chart = new Chart(canvas, {
        type: "line",
        data: { labels: entry.labels, datasets: datasets },
        options: { plugins: { legend: { position: "bottom" } },
                   scales: { y: { title: { display: true, text: entry.currency } } } }
      });
      var note = document.querySelector("[data-months-currency]");
      if (note) { note.textContent = entry.currency; }
      document.querySelectorAll("[data-testid=months-currencies] [data-currency]").forEach(function (button) {
        var on = button.getAttribute("data-currency") === entry.currency;
        button.classList.toggle("active", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
    document.querySelectorAll("[data-testid=months-currencies] [data-currency]").forEach(function (button) {
      button.addEventListener("click", function () {
        var code = button.getAttribute("data-currency");
        show(data.currencies.filter(function (e) { return e.currency === code; })[0]);
      });
    });
    show(data.currencies[0]);
  }

  function draw(canvasId, dataId, type) {
    var canvas = document.getElementById(canvasId);
    var data = readJson(dataId);
    if (!data || !canvas) { return; }
    data.datasets.forEach(function (set, i) {
      set.backgroundColor = colors[i % colors.length];
      set.borderColor = colors[i % colors.length];
    });
    new Chart(canvas, { type: type, data: data, options: { plugins: { legend: { position: "bottom" } } } });
  }
  drawMonths();
  draw("finance-services", "finance-services-data", "bar");
})();
