// Follow background jobs (content batches, CSV imports) without reloading the page, which would
// lose what the user is typing. A row with data-poll="<API URL>" is polled every 3 seconds with the
// signed-in session until the job is done or stopped; data-done names the fields that add up to
// the work finished (e.g. "succeeded failed"), data-total the field holding the total.
(function () {
  "use strict";
  const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Stopped" };

  function follow(row) {
    const bar = row.querySelector("progress");
    const count = row.querySelector("[data-count]");
    const status = row.querySelector("[data-status]");
    const doneFields = (row.dataset.done || "").split(" ").filter(Boolean);
    const timer = setInterval(async function () {
      let job;
      try {
        const response = await fetch(row.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        job = await response.json();
      } catch (e) { return; }  // a network blip: try again next time
      const total = job[row.dataset.total];
      const finished = doneFields.reduce(function (sum, name) { return sum + (job[name] || 0); }, 0);
      if (bar) { bar.max = total; bar.value = finished; bar.textContent = finished + " of " + total; }
      if (count) count.textContent = finished.toLocaleString() + " / " + total.toLocaleString();
      if (status) status.textContent = (labels[job.status] || job.status) + (job.stop_reason || job.failure ? ": " + (job.stop_reason || job.failure) : "");
      if (job.status === "done" || job.status === "failed") {
        clearInterval(timer);
        if (row.dataset.reloadWhenDone !== undefined) window.location.reload();
      }
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(follow);
  });
})();
