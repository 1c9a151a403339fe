// A form whose action cannot be taken back (approve and lock, mark paid) asks first: its data-confirm text, in the
// page's language. Cancelling sends nothing. With data-confirm-when="field=value" it asks only when that field of
// the form holds that value (the queue's bulk form: closing, not tagging).
// With data-confirm-url the question comes from the server, asked with the form's fields (GET), as JSON: {"confirm":
// text} names what the form acts on (the ticket a merge goes into); {"error": text} is said instead and nothing is
// sent. If the server cannot be asked, the form's own data-confirm text is asked.
(function () {
  "use strict";
  function applies(form) {
    var when = form.getAttribute("data-confirm-when");
    if (!when) { return true; }
    var parts = when.split("=");
    var field = form.elements.namedItem(parts[0]);
    return Boolean(field) && field.value === parts[1];
  }

  function askServer(form, url, fallback) {
    if (form.getAttribute("data-confirm-busy")) { return; }
    form.setAttribute("data-confirm-busy", "1");
    var query = new URLSearchParams(new FormData(form));
    query.delete("csrfmiddlewaretoken");
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + query.toString(),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.error) { window.alert(answer.error); return; }
        if (window.confirm(answer.confirm || fallback)) { form.submit(); }
      }, function () {
        if (fallback && window.confirm(fallback)) { form.submit(); }
      })
      .then(function () { form.removeAttribute("data-confirm-busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute || !applies(form)) { return; }
    var text = form.getAttribute("data-confirm");
    var url = form.getAttribute("data-confirm-url");
    if (url) {
      event.preventDefault();  // sent by askServer once the question is answered
      askServer(form, url, text);
    } else if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });
})();
