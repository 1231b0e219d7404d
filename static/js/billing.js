// Billing page: ask our server for a Razorpay subscription (it decides the amount), open Razorpay
// Checkout, then hand Checkout's signed result back to our server, which verifies it before
// granting anything.
(function () {
  "use strict";
  const status = document.getElementById("checkout-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || "The request failed.");
    return data;
  }

  document.querySelectorAll("form.checkout").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      status.textContent = "Preparing payment…";
      try {
        const checkout = await post("/api/v1/billing/checkout/", {
          plan: form.dataset.plan,
          interval: form.querySelector("select[name=interval]").value,
        });
        if (typeof window.Razorpay !== "function") throw new Error("Razorpay Checkout could not be loaded.");
        const rzp = new window.Razorpay({
          key: checkout.key_id,
          subscription_id: checkout.subscription_id,
          name: checkout.brand_name,
          description: checkout.plan_name + " (" + checkout.interval + ")",
          prefill: { email: checkout.prefill_email },
          handler: async function (result) {
            status.textContent = "Confirming payment…";
            try {
              await post("/api/v1/billing/checkout/complete/", result);
              window.location.reload();
            } catch (error) {
              status.textContent = error.message;
            }
          },
          modal: { ondismiss: function () { status.textContent = "Payment cancelled."; button.disabled = false; } },
        });
        rzp.open();
        status.textContent = "";
      } catch (error) {
        status.textContent = error.message;
        button.disabled = false;
      }
    });
  });
})();
