// The session screen: keyboard-first vitals entry and live polling that never interrupts typing.
(function () {
  "use strict";
  if (window.htmx) {
    // The server answers a refused or invalid entry with the form and its errors (409/422):
    // swap it in like a success so the nurse sees why.
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409|422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  function focusFirstVitalsField() {
    const first = document.querySelector("#vitals-form [data-first]");
    if (first) {
      first.focus();
    }
  }

  let refocus = false;
  document.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    // A poll must not replace a region while someone is typing or choosing in it.
    if (elt.hasAttribute && elt.hasAttribute("data-poll")) {
      const active = document.activeElement;
      if (active && active !== document.body && elt.contains(active)) {
        event.preventDefault();
      }
    }
    if (elt.id === "vitals-form") {
      refocus = true;
    }
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (refocus) {
      refocus = false;
      focusFirstVitalsField();
    }
  });
})();
