// The per-field summary of a form as charts (Chart.js from static/vendor): bars per option, and submissions per day.
// The counts are computed by the server (forms_builder.selectors.form_summary / form_daily_counts) and embedded as
// the JSON script "form-summary-data"; the text rows beside each chart stay the accessible reading.
(function () {
  "use strict";
  var data = document.getElementById("form-summary-data");
  if (!data || !window.Chart) { return; }
  var summary = JSON.parse(data.textContent);
  var color = getComputedStyle(document.documentElement).getPropertyValue("--bs-primary").trim() || "#0d6efd";
  var common = {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}}};

  function canvas(key) { return document.querySelector('canvas[data-chart="' + CSS.escape(key) + '"]'); }

  summary.summary.forEach(function (field) {
    var target = canvas(field.key);
    if (!target) { return; }
    new window.Chart(target, {
      type: "bar",
      data: {labels: field.labels, datasets: [{data: field.counts, backgroundColor: color}]},
      options: Object.assign({indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}, common)
    });
  });
  var daily = canvas("daily");
  if (daily) {
    new window.Chart(daily, {
      type: "line",
      data: {labels: summary.daily.map(function (d) { return d.day.slice(5); }),
        datasets: [{label: summary.label, data: summary.daily.map(function (d) { return d.count; }), borderColor: color,
          backgroundColor: color, tension: 0.2, pointRadius: 0}]},
      options: Object.assign({scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}, common)
    });
  }
}());
