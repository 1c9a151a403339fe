// Customer list: the header checkbox selects every row of the page.
document.addEventListener("change", (event) => {
  const master = event.target.closest("[data-select-all]");
  if (!master) return;
  document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach((box) => {
    box.checked = master.checked;
  });
});
