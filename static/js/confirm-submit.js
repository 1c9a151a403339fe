// A form whose action cannot be taken back (approve and lock, mark paid) asks first: its data-confirm text, in the
// page's language. Cancelling sends nothing.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var text = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
})();
