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

// The live part is swapped whole every few seconds: an agent the supervisor had picked in an at-risk row (but not
// yet assigned) went back to the suggested one under their cursor. Carry each changed choice (and the focus) over
// to the same row of the new part, as long as that agent is still offered.
(function () {
  "use strict";
  var pending = null;

  function chosen(select) {
    var fallback = Array.prototype.find.call(select.options, function (o) { return o.defaultSelected; })
      || select.options[0];
    return fallback ? select.value !== fallback.value : false;
  }

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var live = evt.detail.elt;
    if (!live || live.id !== "board-live") { return; }
    pending = { values: {}, focus: null };
    live.querySelectorAll("select[id]").forEach(function (select) {
      if (chosen(select)) { pending.values[select.id] = select.value; }
      if (document.activeElement === select) { pending.focus = select.id; }
    });
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (!pending) { return; }
    var carried = pending;
    pending = null;
    Object.keys(carried.values).forEach(function (id) {
      var select = document.getElementById(id);
      var value = carried.values[id];
      if (select && Array.prototype.some.call(select.options, function (o) { return o.value === value; })) {
        select.value = value;
      }
    });
    if (carried.focus && document.getElementById(carried.focus)) {
      document.getElementById(carried.focus).focus();
    }
  });
})();
