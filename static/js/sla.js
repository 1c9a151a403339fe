// SLA countdowns: every target of a badge with a due time (data-sla-due, ISO 8601) counts down each 30 seconds.
// data-text-left / data-text-overdue are the target's own translated sentences with {t} where the time goes
// ("解决剩余 {t}", "首次响应已超时 {t}"), as the server rendered them (sla/templatetags/sla.py).
(function () {
  "use strict";

  // The same patterns the server renders with (scrm/durations.py), handed over as data-fmt-* attributes.
  function span(seconds, el) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    function fill(pattern) {
      return pattern.replace("{d}", days).replace("{h}", hours).replace("{m}", hours ? (rest < 10 ? "0" : "") + rest : rest);
    }
    if (days) { return fill(el.dataset.fmtDays); }
    if (hours) { return fill(el.dataset.fmtHours); }
    return fill(el.dataset.fmtMinutes);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla-countdown[data-sla-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.slaDue) - now) / 1000;
      var sentence = left <= 0 ? el.dataset.textOverdue : el.dataset.textLeft;
      el.textContent = sentence.replace("{t}", span(left, el));
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.body && document.body.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
