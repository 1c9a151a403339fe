// The agent workspace: select every row for a bulk action; insert a canned response at the cursor of the reply box
// (never replacing what the agent typed); on 新建工单, offer "Assign to me" only for a queue the agent works in.
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

  // 新建工单: "Assign to me" while the chosen queue is one of the user's, or the routing rules decide it (the
  // service refuses, clearly, a routed queue that is not theirs). Hidden, it is also disabled, so it is not sent.
  const assignMe = document.querySelector("[data-assign-me]");
  const queueSelect = document.getElementById("id_queue");
  if (assignMe && queueSelect) {
    const mine = assignMe.dataset.myQueues.split(",");
    const sync = () => {
      const shown = !queueSelect.value || mine.includes(queueSelect.value);
      assignMe.hidden = !shown;
      assignMe.querySelector("input").disabled = !shown;
    };
    queueSelect.addEventListener("change", sync);
    sync();
  }
})();
