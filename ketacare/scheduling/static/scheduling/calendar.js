// Drag a booked session onto another time or chair: posts the same move form the appointment
// page has (the server checks everything again) and redraws the calendar, or says why not.
// Without JavaScript each session opens its page, where the move form works the same way.
(() => {
  const ROW_MINUTES = 5;
  let dragged = null;

  function csrfToken() {
    const headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch { return ""; }
  }

  function timeAt(lane, clientY) {
    const rect = lane.getBoundingClientRect();
    const rowHeight = parseFloat(getComputedStyle(lane).gridTemplateRows.split(" ")[0]) || 7;
    const row = Math.max(0, Math.floor((clientY - rect.top) / rowHeight));
    const minute = parseInt(lane.dataset.startMinute, 10) + row * ROW_MINUTES;
    const hh = String(Math.floor(minute / 60)).padStart(2, "0");
    const mm = String(minute % 60).padStart(2, "0");
    return `${hh}:${mm}`;
  }

  function say(html, calendar) {
    const status = calendar.querySelector("#calendar-status");
    status.innerHTML = html;
    status.focus?.();
  }

  document.addEventListener("dragstart", (event) => {
    const item = event.target.closest?.(".cal-item[data-move]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.move);
  });

  document.addEventListener("dragover", (event) => {
    const lane = event.target.closest?.(".cal-lane[data-chair]");
    if (!lane || !dragged || !lane.dataset.chair) return;
    event.preventDefault();
    lane.classList.add("drop-target");
  });

  document.addEventListener("dragleave", (event) => {
    event.target.closest?.(".cal-lane")?.classList.remove("drop-target");
  });

  document.addEventListener("drop", async (event) => {
    const lane = event.target.closest?.(".cal-lane[data-chair]");
    if (!lane || !dragged) return;
    event.preventDefault();
    lane.classList.remove("drop-target");
    const calendar = document.getElementById("calendar");
    const body = new URLSearchParams({
      date: lane.dataset.day,
      time: timeAt(lane, event.clientY),
      chair: lane.dataset.chair,
      view: calendar.dataset.view,
      day: calendar.dataset.day,
    });
    dragged = null;
    const response = await fetch(dragged_url(event), {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      credentials: "same-origin",
    });
    const html = await response.text();
    if (response.ok) {
      calendar.outerHTML = html;
    } else {
      say(html, calendar);
    }
  });

  function dragged_url(event) {
    return event.dataTransfer.getData("text/plain");
  }
})();
