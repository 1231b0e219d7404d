"""A local fake of Razorpay's HTTP API for tests and offline development.

It speaks the subset of https://api.razorpay.com/v1 that billing uses (customers, plans,
subscriptions with edit/cancel/pause/resume/addons, payments and refunds), checks HTTP Basic auth
like Razorpay, and answers errors in Razorpay's shape, so our code runs through the real
``razorpay`` SDK. Tests drive the customer's side with :meth:`FakeRazorpay.authorise` (what
Checkout does), :meth:`charge` (a renewal, paid or failed) and friends; each produces the webhook
events Razorpay would send, signed with the webhook secret, in :attr:`outbox` for the test to
deliver (in order, shuffled, or three times over).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MONTH = 30 * 24 * 3600
YEAR = 365 * 24 * 3600


@dataclass
class Delivery:
    """One webhook as Razorpay would POST it: raw body and headers."""

    event_id: str
    event: str
    body: bytes
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {"HTTP_X_RAZORPAY_SIGNATURE": self.signature, "HTTP_X_RAZORPAY_EVENT_ID": self.event_id}


@dataclass
class FakeRazorpay:
    key_id: str = "rzp_test_fake"
    key_secret: str = "fake_key_secret"  # noqa: S105 - a test double's credential
    webhook_secret: str = "fake_webhook_secret"  # noqa: S105
    clock: int = field(default_factory=lambda: int(time.time()))  # seconds; tests move it forward
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    addons: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[Delivery] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_next: int = 0  # answer the next N API calls with a 500 (provider outage)
    fail_paths: list[str] = field(default_factory=list)  # regexes of "METHOD /path" answered with a 500
    time_out_after: list[str] = field(default_factory=list)  # "METHOD /path" done, then the answer is lost
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):014d}"

    # --- The customer's side (Checkout, renewals) ---------------------------------------------

    def authorise(self, subscription_id: str, *, method: str = "card") -> tuple[str, str]:
        """The customer completes Checkout: returns (payment id, signature) as Checkout hands them
        to the page. With a future start_at only the mandate is authorised (a ₹5 auth payment);
        otherwise the first period is charged at once."""
        with self._lock:
            sub = self.subscriptions[subscription_id]
            if sub.get("start_at") and sub["start_at"] > self.clock:
                payment = self._payment(sub, amount=500, method=method, status="captured")
                sub["status"] = "authenticated"
                self._emit("subscription.authenticated", subscription=sub)
            else:
                sub["status"] = "authenticated"
                self._emit("subscription.authenticated", subscription=sub)
                payment = self._charge_locked(sub, success=True, method=method)
        signature = self.sign(f"{payment['id']}|{subscription_id}", self.key_secret)
        return payment["id"], signature

    def charge(self, subscription_id: str, *, success: bool = True, method: str = "card") -> dict[str, Any]:
        """A billing cycle comes due: Razorpay charges the mandate (renewal or first charge)."""
        with self._lock:
            return self._charge_locked(self.subscriptions[subscription_id], success=success, method=method)

    def halt(self, subscription_id: str) -> None:
        with self._lock:
            sub = self.subscriptions[subscription_id]
            sub["status"] = "halted"
            self._emit("subscription.halted", subscription=sub)

    def end_cycle(self, subscription_id: str) -> None:
        """The current period ends: a cancel scheduled for the cycle end takes effect."""
        with self._lock:
            sub = self.subscriptions[subscription_id]
            if sub.get("cancel_at_cycle_end"):
                sub["status"], sub["ended_at"] = "cancelled", self.clock
                self._emit("subscription.cancelled", subscription=sub)

    def _charge_locked(self, sub: dict[str, Any], *, success: bool, method: str) -> dict[str, Any]:
        if sub.get("scheduled_plan_id"):  # a change scheduled for the cycle end takes effect
            sub["plan_id"] = sub.pop("scheduled_plan_id")
            sub["has_scheduled_changes"] = False
        plan = self.plans[sub["plan_id"]]
        amount = plan["item"]["amount"] * sub.get("quantity", 1)
        pending_addons = [a for a in self.addons.values() if a["subscription_id"] == sub["id"] and not a["invoice_id"]]
        amount += sum(a["item"]["amount"] * a["quantity"] for a in pending_addons)
        invoice_id = self.new_id("inv")
        payment = self._payment(
            sub, amount=amount, method=method, status="captured" if success else "failed", invoice_id=invoice_id
        )
        invoice = {
            "id": invoice_id,
            "entity": "invoice",
            "subscription_id": sub["id"],
            "customer_id": sub["customer_id"],
            "payment_id": payment["id"],
            "amount": amount,
            "amount_paid": amount if success else 0,
            "status": "paid" if success else "issued",
            "billing_start": self.clock,
            "billing_end": self.clock + (YEAR if plan["period"] == "yearly" else MONTH),
            "created_at": self.clock,
            "line_items": [{"name": plan["item"]["name"], "amount": plan["item"]["amount"]}]
            + [{"name": a["item"]["name"], "amount": a["item"]["amount"]} for a in pending_addons],
        }
        self.invoices[invoice_id] = invoice
        if not success:
            sub["status"] = "pending"
            self._emit("payment.failed", payment=payment)
            self._emit("subscription.pending", subscription=sub)
            return payment
        for addon in pending_addons:
            addon["invoice_id"] = invoice_id
        first = sub["paid_count"] == 0
        sub["paid_count"] += 1
        sub["remaining_count"] = max(0, sub["total_count"] - sub["paid_count"])
        sub["current_start"] = invoice["billing_start"]
        sub["current_end"] = invoice["billing_end"]
        sub["charge_at"] = invoice["billing_end"]
        sub["status"] = "active"
        self._emit("payment.captured", payment=payment)
        if first:
            self._emit("subscription.activated", subscription=sub)
        self._emit("subscription.charged", subscription=sub, payment=payment)
        self._emit("invoice.paid", invoice=invoice, payment=payment)
        return payment

    def _payment(
        self, sub: dict[str, Any], *, amount: int, method: str, status: str, invoice_id: str | None = None
    ) -> dict[str, Any]:
        payment = {
            "id": self.new_id("pay"),
            "entity": "payment",
            "amount": amount,
            "currency": "INR",
            "status": status,
            "method": method,
            "invoice_id": invoice_id,
            "captured": status == "captured",
            "amount_refunded": 0,
            "error_code": None if status != "failed" else "BAD_REQUEST_ERROR",
            "error_reason": None if status != "failed" else "insufficient_funds",
            "error_description": None if status != "failed" else "Payment failed due to insufficient balance.",
            "created_at": self.clock,
            "notes": {"subscription_id": sub["id"]},
        }
        self.payments[str(payment["id"])] = payment
        return payment

    # --- Webhooks -------------------------------------------------------------------------------

    @staticmethod
    def sign(message: str | bytes, secret: str) -> str:
        data = message.encode() if isinstance(message, str) else message
        return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()

    def _emit(self, event: str, **entities: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "entity": "event",
                "account_id": "acc_fake",
                "event": event,
                "contains": list(entities),
                "payload": {name: {"entity": dict(entity)} for name, entity in entities.items()},
                "created_at": self.clock,
            }
        ).encode()
        self.outbox.append(Delivery(self.new_id("evt"), event, body, self.sign(body, self.webhook_secret)))

    def take_outbox(self) -> list[Delivery]:
        with self._lock:
            taken, self.outbox = self.outbox, []
        return taken

    # --- The HTTP API ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append((method, path))
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500, _error("SERVER_ERROR", "The server encountered an error.")
        if any(re.fullmatch(pattern, f"{method} {path}") for pattern in self.fail_paths):
            return 500, _error("SERVER_ERROR", "The server encountered an error.")
        with self._lock:
            for pattern, verb, handler in ROUTES:
                match = re.fullmatch(pattern, path)
                if match and verb == method:
                    status, answer = handler(self, body, *match.groups())
                    if any(re.fullmatch(p, f"{method} {path}") for p in self.time_out_after):
                        return 504, _error("GATEWAY_ERROR", "Request timed out.")  # done, but the answer is lost
                    return status, answer
        return 404, _error("BAD_REQUEST_ERROR", "The requested URL was not found on the server.")

    def _customer_create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not body.get("email") and not body.get("contact"):
            return 400, _error("BAD_REQUEST_ERROR", "The contact or email field is required.")
        customer = {"id": self.new_id("cust"), "entity": "customer", "created_at": self.clock, **body}
        self.customers[customer["id"]] = customer
        return 200, customer

    def _plan_create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        item = body.get("item") or {}
        if body.get("period") not in ("daily", "weekly", "monthly", "yearly"):
            return 400, _error("BAD_REQUEST_ERROR", "The period field is invalid.", field="period")
        if not isinstance(item.get("amount"), int) or item["amount"] < 100:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be at least INR 1.00.", field="amount")
        plan = {"id": self.new_id("plan"), "entity": "plan", "created_at": self.clock, **body}
        self.plans[plan["id"]] = plan
        return 200, plan

    def _plan_fetch(self, body: dict[str, Any], plan_id: str) -> tuple[int, dict[str, Any]]:
        if plan_id not in self.plans:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        return 200, self.plans[plan_id]

    def _subscription_create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("plan_id") not in self.plans:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist", field="plan_id")
        if not isinstance(body.get("total_count"), int) or body["total_count"] < 1:
            return 400, _error("BAD_REQUEST_ERROR", "The total count field is required.", field="total_count")
        sub = {
            "id": self.new_id("sub"),
            "entity": "subscription",
            "plan_id": body["plan_id"],
            "customer_id": body.get("customer_id"),
            "status": "created",
            "quantity": body.get("quantity", 1),
            "total_count": body["total_count"],
            "paid_count": 0,
            "remaining_count": body["total_count"],
            "start_at": body.get("start_at"),
            "current_start": None,
            "current_end": None,
            "charge_at": body.get("start_at"),
            "ended_at": None,
            "notes": body.get("notes") or {},
            "short_url": "https://rzp.io/i/fake",
            "created_at": self.clock,
        }
        self.subscriptions[sub["id"]] = sub
        return 200, sub

    def _subscription(self, sub_id: str) -> dict[str, Any] | None:
        return self.subscriptions.get(sub_id)

    def _subscription_fetch(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        return (200, sub) if sub else (400, _error("BAD_REQUEST_ERROR", "The id provided does not exist"))

    def _subscription_edit(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        if sub is None or body.get("plan_id") not in self.plans:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        if sub["status"] not in ("authenticated", "active"):
            return 400, _error("BAD_REQUEST_ERROR", "Subscription can only be updated when active or authenticated")
        if body.get("schedule_change_at", "now") == "now":
            sub["plan_id"] = body["plan_id"]
            sub["quantity"] = body.get("quantity", sub["quantity"])
            self._emit("subscription.updated", subscription=sub)
        else:
            sub["scheduled_plan_id"] = body["plan_id"]
            sub["has_scheduled_changes"] = True
        return 200, sub

    def _subscription_cancel(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        if sub is None:
            return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
        if sub["status"] in ("cancelled", "completed", "expired"):
            return 400, _error("BAD_REQUEST_ERROR", "Subscription is not cancellable in cancelled status.")
        if body.get("cancel_at_cycle_end") in (1, True, "1") and sub["status"] == "active":
            sub["cancel_at_cycle_end"] = True
        else:
            sub["status"], sub["ended_at"] = "cancelled", self.clock
            self._emit("subscription.cancelled", subscription=sub)
        return 200, sub

    def _subscription_pause(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        if sub is None or sub["status"] != "active":
            return 400, _error("BAD_REQUEST_ERROR", "Subscription cannot be paused in its current status.")
        sub["status"], sub["paused_at"] = "paused", self.clock
        self._emit("subscription.paused", subscription=sub)
        return 200, sub

    def _subscription_resume(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        if sub is None or sub["status"] != "paused":
            return 400, _error("BAD_REQUEST_ERROR", "Subscription is not paused.")
        sub["status"], sub["paused_at"] = "active", None
        self._emit("subscription.resumed", subscription=sub)
        return 200, sub

    def _addon_create(self, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
        sub = self._subscription(sub_id)
        item = body.get("item") or {}
        if sub is None or not isinstance(item.get("amount"), int) or item["amount"] < 100:
            return 400, _error("BAD_REQUEST_ERROR", "The amount must be at least INR 1.00.", field="amount")
        addon = {
            "id": self.new_id("ao"),
            "entity": "addon",
            "item": item,
            "quantity": body.get("quantity", 1),
            "subscription_id": sub_id,
            "invoice_id": None,
            "created_at": self.clock,
        }
        self.addons[addon["id"]] = addon
        return 200, addon

    def _payment_fetch(self, body: dict[str, Any], payment_id: str) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_id)
        return (200, payment) if payment else (400, _error("BAD_REQUEST_ERROR", "The id provided does not exist"))

    def _payment_refund(self, body: dict[str, Any], payment_id: str) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(payment_id)
        if payment is None or payment["status"] not in ("captured", "refunded"):
            return 400, _error("BAD_REQUEST_ERROR", "The payment has not been captured.")
        amount = body.get("amount", payment["amount"] - payment["amount_refunded"])
        if not isinstance(amount, int) or amount < 100 or amount > payment["amount"] - payment["amount_refunded"]:
            return 400, _error("BAD_REQUEST_ERROR", "The refund amount is invalid.", field="amount")
        payment["amount_refunded"] += amount
        if payment["amount_refunded"] == payment["amount"]:
            payment["status"] = "refunded"
        refund = {
            "id": self.new_id("rfnd"),
            "entity": "refund",
            "payment_id": payment_id,
            "amount": amount,
            "currency": "INR",
            "status": "processed",
            "notes": body.get("notes") or {},
            "created_at": self.clock,
        }
        self.refunds[str(refund["id"])] = refund
        self._emit("refund.processed", refund=refund, payment=payment)
        return 200, refund


def _addon_delete(fake: FakeRazorpay, body: dict[str, Any], addon_id: str) -> tuple[int, dict[str, Any]]:
    addon = fake.addons.get(addon_id)
    if addon is None or addon["invoice_id"]:
        return 400, _error("BAD_REQUEST_ERROR", "The addon cannot be deleted.")
    del fake.addons[addon_id]
    return 204, {}


def _cancel_scheduled(fake: FakeRazorpay, body: dict[str, Any], sub_id: str) -> tuple[int, dict[str, Any]]:
    sub = fake.subscriptions.get(sub_id)
    if sub is None:
        return 400, _error("BAD_REQUEST_ERROR", "The id provided does not exist")
    sub.pop("scheduled_plan_id", None)
    sub["has_scheduled_changes"] = False
    return 200, sub


def _payment_refunds(fake: FakeRazorpay, body: dict[str, Any], payment_id: str) -> tuple[int, dict[str, Any]]:
    items = [r for r in fake.refunds.values() if r["payment_id"] == payment_id]
    return 200, {"entity": "collection", "count": len(items), "items": items}


def _error(code: str, description: str, *, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "description": description, "source": "business", "field": field}}


ROUTES: list[tuple[str, str, Any]] = [
    (r"/v1/customers", "POST", FakeRazorpay._customer_create),
    (r"/v1/plans", "POST", FakeRazorpay._plan_create),
    (r"/v1/plans/([\w]+)", "GET", FakeRazorpay._plan_fetch),
    (r"/v1/subscriptions", "POST", FakeRazorpay._subscription_create),
    (r"/v1/subscriptions/([\w]+)", "GET", FakeRazorpay._subscription_fetch),
    (r"/v1/subscriptions/([\w]+)", "PATCH", FakeRazorpay._subscription_edit),
    (r"/v1/subscriptions/([\w]+)/cancel", "POST", FakeRazorpay._subscription_cancel),
    (r"/v1/subscriptions/([\w]+)/pause", "POST", FakeRazorpay._subscription_pause),
    (r"/v1/subscriptions/([\w]+)/resume", "POST", FakeRazorpay._subscription_resume),
    (r"/v1/subscriptions/([\w]+)/addons", "POST", FakeRazorpay._addon_create),
    (r"/v1/payments/([\w]+)", "GET", FakeRazorpay._payment_fetch),
    (r"/v1/payments/([\w]+)/refund", "POST", FakeRazorpay._payment_refund),
    (r"/v1/payments/([\w]+)/refunds", "GET", _payment_refunds),
    (r"/v1/subscriptions/([\w]+)/cancel_scheduled_changes", "POST", _cancel_scheduled),
    (r"/v1/addons/([\w]+)", "DELETE", _addon_delete),
]


def _handler_for(fake: FakeRazorpay) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{fake.key_id}:{fake.key_secret}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
                self._reply(401, _error("BAD_REQUEST_ERROR", "Authentication failed"))
                return
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                self._reply(400, _error("BAD_REQUEST_ERROR", "The request body is not valid JSON."))
                return
            status, payload = fake.handle(self.command, self.path.split("?")[0], body if isinstance(body, dict) else {})
            self._reply(status, payload)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = b"" if status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_razorpay_server(fake: FakeRazorpay | None = None) -> Iterator[tuple[FakeRazorpay, str]]:
    """Serve a FakeRazorpay on 127.0.0.1 (a free port); yields (fake, base URL)."""
    fake = fake or FakeRazorpay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
