// SLA countdowns: every badge with a due time (data-sla-due, ISO 8601) counts down each 30 seconds.
(function () {
  "use strict";

  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    if (days) { return days + "d " + hours + "h"; }
    if (hours) { return hours + "h " + (rest < 10 ? "0" : "") + rest + "m"; }
    return rest + "m";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla-countdown[data-sla-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.slaDue) - now) / 1000;
      var word = left < 0 ? el.dataset.textOverdue : el.dataset.textLeft;
      el.textContent = word + " " + span(left);
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.body && document.body.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
