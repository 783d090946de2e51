// Small progressive enhancements; every page works without them.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// Lists of rows (medications, antidepressant trials, ...): "Add a ..." and "Remove" work as form
// posts without JavaScript; with it, rows are added and removed in place.
function renumber(row, index, number) {
  row.querySelectorAll("[name]").forEach((field) => {
    field.name = field.name.replace(/-\d+-/, `-${index}-`);
  });
  row.querySelectorAll("[aria-label]").forEach((field) => {
    field.setAttribute("aria-label", field.getAttribute("aria-label").replace(/\d+/, number));
  });
  const remove = row.querySelector("[data-remove-row]");
  if (remove) remove.value = remove.value.replace(/-\d+$/, `-${index}`);
}
function clearRow(row) {
  row.querySelectorAll("input").forEach((field) => { field.value = ""; });
  row.querySelectorAll("select").forEach((field) => { field.selectedIndex = 0; });
  row.querySelectorAll(".error").forEach((note) => note.remove());
}
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) {
    const body = document.querySelector(`[data-rows="${add.getAttribute("data-add-row")}"]`);
    const last = body && body.lastElementChild;
    if (!last) return;
    event.preventDefault();
    const indexes = [...body.querySelectorAll("[data-remove-row]")].map(
      (button) => Number(button.value.split("-").pop()));
    const row = last.cloneNode(true);
    clearRow(row);
    renumber(row, Math.max(...indexes) + 1, body.children.length + 1);
    body.appendChild(row);
    const first = row.querySelector("input, select");
    if (first) first.focus();
    return;
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    const row = remove.closest("tr");
    const body = row && row.parentElement;
    if (!body) return;
    event.preventDefault();
    if (body.children.length > 1) {
      row.remove();
      [...body.children].forEach((other, i) => {
        other.querySelectorAll("[aria-label]").forEach((field) => {
          field.setAttribute("aria-label", field.getAttribute("aria-label").replace(/\d+/, i + 1));
        });
      });
    } else {
      clearRow(row);
    }
  }
});
