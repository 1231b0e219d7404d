"""Billing API (this slice: plans and the tenant's entitlements). Thin views."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from billing import services
from billing.api.v1 import serializers as s
from billing.models import Invoice, Payment
from billing.selectors import (
    billing_profile_for,
    entitlements_for_tenant,
    invoices_of,
    payments_of,
    plans_current,
    referral_summary,
    subscription_for,
)
from suresh_ai.api.views import BaseAPIView, BaseGenericAPIView, BaseListAPIView, ErrorSerializer
from suresh_ai.errors import NotFound
from suresh_ai.tenancy import request_tenant
from tenants.models import Membership, Role, Tenant
from tenants.selectors import seats_used
from tenants.views.auth import site_url


class PlanListView(BaseAPIView):
    @extend_schema(responses=s.PlanSerializer(many=True), summary="Plans on offer (prices in paise)", tags=["billing"])
    def get(self, request: Request) -> Response:
        return Response(s.PlanSerializer(plans_current(), many=True).data)


class EntitlementsView(BaseAPIView):
    @extend_schema(responses=s.EntitlementsSerializer, summary="What this workspace may do now", tags=["billing"])
    def get(self, request: Request) -> Response:
        tenant = request_tenant(request)
        entitlements = entitlements_for_tenant(tenant)
        data = {
            **asdict(entitlements),
            "features": sorted(entitlements.features),
            "seats_used": seats_used(tenant=tenant),
        }
        return Response(s.EntitlementsSerializer(data).data)  # type: ignore[arg-type]


SUBSCRIPTION_FIELDS = (
    "plan",
    "interval",
    "status",
    "trial_ends_at",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "past_due_since",
)


def _subscription_data(tenant: Tenant) -> dict[str, object]:
    subscription = subscription_for(tenant)
    if subscription is None:
        raise NotFound("This workspace has no subscription.", code="no_subscription")
    fresh = Tenant.objects.only("restricted_after").get(pk=tenant.pk)  # the routing cache may be a second old
    return {
        **{name: getattr(subscription, name) for name in SUBSCRIPTION_FIELDS},
        "restricted": fresh.is_restricted(),
        "restricted_after": fresh.restricted_after,
    }


class BillingWriter:
    """Paying and changing plans is for owners (API keys: the admin scope)."""

    write_role = Role.OWNER
    write_scope = "admin"
    uses_payment_provider = True


class SubscriptionView(BaseAPIView):
    @extend_schema(responses=s.SubscriptionSerializer, summary="This workspace's subscription", tags=["billing"])
    def get(self, request: Request) -> Response:
        return Response(s.SubscriptionSerializer(_subscription_data(request_tenant(request))).data)


class CheckoutView(BillingWriter, BaseAPIView):
    @extend_schema(
        request=s.CheckoutRequestSerializer,
        responses={201: s.CheckoutSerializer},
        summary="Start paying: create the Razorpay subscription to authorise in Checkout",
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.CheckoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkout = services.checkout_start(
            tenant=request_tenant(request),
            plan_code=serializer.validated_data["plan"],
            interval=serializer.validated_data["interval"],
            actor_email=_actor_email(request),
            coupon_code=serializer.validated_data.get("coupon") or None,
        )
        return Response(s.CheckoutSerializer(asdict(checkout)).data, status=201)


class CheckoutCompleteView(BillingWriter, BaseAPIView):
    @extend_schema(
        request=s.CheckoutCompleteSerializer,
        responses=s.SubscriptionSerializer,
        summary="Checkout's success callback: verified on the server before anything is granted",
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.CheckoutCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = request_tenant(request)
        services.checkout_complete(
            tenant=tenant,
            payment_id=serializer.validated_data["razorpay_payment_id"],
            subscription_id=serializer.validated_data["razorpay_subscription_id"],
            signature=serializer.validated_data["razorpay_signature"],
        )
        return Response(s.SubscriptionSerializer(_subscription_data(tenant)).data)


def _actor_email(request: Request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.email)
    owner = Membership.objects.filter(tenant=request_tenant(request), role=Role.OWNER).select_related("user").first()
    return owner.user.email if owner else ""


class BillingReader(BillingWriter):
    """Billing details and invoices: owners and admins (API keys: the read scope, for accounting tools)."""

    read_role = Role.ADMIN
    read_scope = "read"
    uses_payment_provider = False


class BillingProfileView(BillingReader, BaseAPIView):
    @extend_schema(responses=s.BillingProfileSerializer, summary="Who invoices are made out to", tags=["billing"])
    def get(self, request: Request) -> Response:
        return Response(s.BillingProfileSerializer(billing_profile_for(request_tenant(request))).data)

    @extend_schema(
        request=s.BillingProfileUpdateSerializer,
        responses=s.BillingProfileSerializer,
        summary="Update the GST details on future invoices (GSTIN checked, state must match)",
        tags=["billing"],
    )
    def patch(self, request: Request) -> Response:
        serializer = s.BillingProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = services.billing_profile_update(tenant=request_tenant(request), data=dict(serializer.validated_data))
        return Response(s.BillingProfileSerializer(profile).data)


class InvoiceListView(BillingReader, BaseListAPIView):
    serializer_class = s.InvoiceSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        return invoices_of(tenant=request_tenant(self.request))

    @extend_schema(summary="This workspace's tax invoices, newest first", tags=["billing"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class InvoiceDetailView(BillingReader, BaseGenericAPIView):
    serializer_class = s.InvoiceSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        return invoices_of(tenant=request_tenant(self.request))

    @extend_schema(summary="One tax invoice", tags=["billing"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)


class InvoicePdfView(BillingReader, BaseGenericAPIView):
    serializer_class = s.InvoiceSerializer

    def get_queryset(self) -> QuerySet[Invoice]:
        return invoices_of(tenant=request_tenant(self.request))

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="One tax invoice as PDF",
        tags=["billing"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return invoice_pdf_response(self.get_object())


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(services.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number.replace("/", "-")}.pdf"'
    return response


class PdfRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/pdf``; errors still go out as our JSON error shape."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"  # an error in our JSON shape says it is JSON
        return JSONRenderer().render(data)


InvoicePdfView.renderer_classes = [JSONRenderer, PdfRenderer]


class PlanChangeQuoteView(BillingWriter, BaseAPIView):
    read_role = Role.OWNER
    read_scope = "admin"

    @extend_schema(
        parameters=[s.PlanChangeRequestSerializer],
        responses={
            200: s.PlanChangeQuoteSerializer,
            409: OpenApiResponse(ErrorSerializer, description="No paid subscription to change (no_paid_subscription)."),
        },
        summary="What changing plan would cost, before confirming (changes nothing)",
        tags=["billing"],
    )
    def get(self, request: Request) -> Response:
        serializer = s.PlanChangeRequestSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        quote = services.subscription_change_quote(
            tenant=request_tenant(request),
            plan_code=serializer.validated_data["plan"],
            interval=serializer.validated_data.get("interval"),
        )
        return Response(s.PlanChangeQuoteSerializer(asdict(quote)).data)


class PlanChangeView(BillingWriter, BaseAPIView):
    @extend_schema(
        request=s.PlanChangeRequestSerializer,
        responses=s.PlanChangeResultSerializer,
        summary="Change plan: upgrades now with proration, downgrades at period end",
        tags=["billing"],
    )
    def post(self, request: Request) -> Response:
        serializer = s.PlanChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = request_tenant(request)
        _, quote = services.subscription_change_plan(
            tenant=tenant,
            plan_code=serializer.validated_data["plan"],
            interval=serializer.validated_data.get("interval"),
            actor_email=_actor_email(request),
        )
        data = {"quote": asdict(quote), "subscription": _subscription_data(tenant)}
        return Response(s.PlanChangeResultSerializer(data).data)


def _subscription_action(action: str, summary: str) -> type[BaseAPIView]:
    service = getattr(services, f"subscription_{action}")

    class ActionView(BillingWriter, BaseAPIView):
        @extend_schema(request=None, responses=s.SubscriptionSerializer, summary=summary, tags=["billing"])
        def post(self, request: Request) -> Response:
            tenant = request_tenant(request)
            service(tenant=tenant, actor_email=_actor_email(request))
            return Response(s.SubscriptionSerializer(_subscription_data(tenant)).data)

    ActionView.__name__ = ActionView.__qualname__ = f"Subscription{action.title()}View"
    return ActionView


SubscriptionCancelView = _subscription_action("cancel", "Cancel at the end of the paid period")
SubscriptionPauseView = _subscription_action("pause", "Pause billing now (the workspace becomes read-only)")
SubscriptionResumeView = _subscription_action("resume", "Resume a paused subscription")


def referral_data(tenant: Tenant) -> dict[str, object]:
    code = services.referral_code_for(tenant=tenant)
    url = site_url(settings.PLATFORM_DOMAIN, f"/signup/?ref={code}")
    return referral_summary(tenant=tenant, code=code, signup_url=url)


class ReferralView(BillingReader, BaseAPIView):
    @extend_schema(
        responses=s.ReferralSerializer,
        summary="Your referral code and link, referrals made and account credit",
        tags=["billing"],
    )
    def get(self, request: Request) -> Response:
        return Response(s.ReferralSerializer(referral_data(request_tenant(request))).data)


class PaymentListView(BillingReader, BaseListAPIView):
    serializer_class = s.PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        return payments_of(tenant=request_tenant(self.request))

    @extend_schema(summary="This workspace's payments (status and failure reason), newest first", tags=["billing"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)
