// A form whose action cannot be taken back (approve and lock, mark paid) asks first: its data-confirm text, in the
// page's language. Cancelling sends nothing. With data-confirm-when="field=value" it asks only when that field of
// the form holds that value (the queue's bulk form: closing, not tagging).
(function () {
  "use strict";
  function applies(form) {
    var when = form.getAttribute("data-confirm-when");
    if (!when) { return true; }
    var parts = when.split("=");
    var field = form.elements.namedItem(parts[0]);
    return Boolean(field) && field.value === parts[1];
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute && form.getAttribute("data-confirm");
    if (text && applies(form) && !window.confirm(text)) { event.preventDefault(); }
  });
})();
