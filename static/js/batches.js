// Content page: follow running generation batches without reloading the page (which would lose
// what the user is typing). Each running row carries its API URL in data-batch; polled with the
// signed-in session every 3 seconds until it is done or stopped.
(function () {
  "use strict";
  const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Stopped" };

  function follow(row) {
    const url = row.dataset.batch;
    const bar = row.querySelector("progress");
    const count = row.querySelector("[data-count]");
    const status = row.querySelector("[data-status]");
    const timer = setInterval(async function () {
      let batch;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        batch = await response.json();
      } catch (e) { return; }  // a network blip: try again next time
      const finished = batch.succeeded + batch.failed;
      bar.max = batch.total; bar.value = finished; bar.textContent = finished + " of " + batch.total;
      count.textContent = finished + " / " + batch.total;
      status.textContent = (labels[batch.status] || batch.status) + (batch.stop_reason ? ": " + batch.stop_reason : "");
      if (batch.status === "done" || batch.status === "failed") {
        clearInterval(timer);
        if (batch.status === "failed") status.append(" (reload the page to resume it)");
      }
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr[data-batch]").forEach(follow);
  });
})();
