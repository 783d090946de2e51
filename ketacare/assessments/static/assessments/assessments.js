// C-SSRS skip logic, as a convenience: when Q2 (or Q6) is "No", the questions it skips are
// disabled and marked. The server accepts them unanswered and stores 0, as the scorer ignores them.
(function () {
  function update(form) {
    form.querySelectorAll("fieldset[data-skip-when]").forEach(function (fieldset) {
      var gate = form.querySelector('input[name="' + fieldset.dataset.skipWhen + '"]:checked');
      var skipped = gate !== null && gate.value === "0";
      fieldset.classList.toggle("skipped", skipped);
      fieldset.querySelectorAll("input").forEach(function (input) {
        input.disabled = skipped;
        if (skipped) { input.checked = false; }
      });
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form.questionnaire");
    if (form) { update(form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.questionnaire").forEach(update);
  });
})();
