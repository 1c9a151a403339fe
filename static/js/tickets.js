// The agent workspace: select every row for a bulk action; insert a canned response at the cursor of the reply box
// (never replacing what the agent typed).
(function () {
  "use strict";

  document.addEventListener("change", (event) => {
    const master = event.target.closest("[data-select-all]");
    if (master) {
      document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach((box) => {
        box.checked = master.checked;
      });
      return;
    }
    const canned = event.target.closest("[data-canned-target]");
    if (canned && canned.value) {
      const target = document.getElementById(canned.dataset.cannedTarget);
      const url = canned.value;
      canned.value = "";
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => response.json().then((data) => {
          if (!response.ok) {
            window.alert(data.error);
            return Promise.reject(response.status);
          }
          return data;
        }))
        .then((data) => {
          const start = target.selectionStart ?? target.value.length;
          const end = target.selectionEnd ?? target.value.length;
          target.value = target.value.slice(0, start) + data.text + target.value.slice(end);
          target.focus();
          const cursor = start + data.text.length;
          target.setSelectionRange(cursor, cursor);
        })
        .catch(() => {});
    }
  });

})();
