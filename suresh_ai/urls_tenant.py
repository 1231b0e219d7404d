"""URLs on a tenant's domain: the web app, the API and the tenant admin."""

from typing import Any

from django.urls import URLPattern, URLResolver, include, path, re_path
from django.urls.resolvers import RoutePattern

from ai_engine import pages as ai_pages
from ai_engine.chat import pages as chat_pages
from ai_engine.pages import content as content_pages
from ai_engine.pages import prompts as prompt_pages
from billing import pages as billing_pages
from intelligence import pages as intelligence_pages
from intelligence.pages import attribution as attribution_pages
from intelligence.pages import data as data_pages
from intelligence.pages import funnels as funnel_pages
from intelligence.pages import payments as payment_pages
from intelligence.pages import segments as segment_pages
from suresh_ai.api.errors import api_not_found
from suresh_ai.urls_api import tenant_api
from suresh_ai.urls_common import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here
from tenants.views import auth, pages, public, signup


class NotUnder(RoutePattern):
    """The empty route of ``path("", include(...))``, except that it refuses paths under ``prefix``
    in one comparison: API requests then skip the web pages' ~55 patterns instead of trying each
    (a tenth of a light API read's CPU). Routes, names and reversing are those of an empty route."""

    def __init__(self, prefix: str) -> None:
        super().__init__("", is_endpoint=False)
        self.prefix = prefix

    def match(self, path: str) -> tuple[str, tuple[Any, ...], dict[str, int | str]] | None:
        return None if path.startswith(self.prefix) else super().match(path)


web_pages = [
    path("", pages.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.login_otp_view, name="login-otp"),
    path("logout/", auth.logout_view, name="logout"),
    path("welcome/<str:ticket>/", signup.signup_welcome_view, name="signup-welcome"),
    path("invitations/<str:token>/", auth.invitation_accept_view, name="invitation-accept"),
    path("account/2fa/", auth.two_factor, name="two-factor"),
    path("team/", pages.team, name="team"),
    path("team/<int:pk>/role/", pages.member_role, name="member-role"),
    path("team/<int:pk>/remove/", pages.member_remove, name="member-remove"),
    path("team/invitations/<int:pk>/revoke/", pages.invitation_revoke, name="invitation-revoke"),
    path("api-keys/", pages.api_keys, name="api-keys"),
    path("api-keys/<int:pk>/revoke/", pages.api_key_revoke, name="api-key-revoke"),
    path("branding/", pages.branding, name="branding"),
    path("brand/logo", public.brand_logo, name="brand-logo"),
    path("ai/", ai_pages.ai_page, name="ai"),
    path("ai/content/", content_pages.content_page, name="ai-content"),
    path("ai/content/<int:pk>/review/", content_pages.generation_review, name="ai-generation-review"),
    path("ai/content/batches/<slug:key>/", content_pages.batch_create, name="ai-batch-create"),
    path("ai/content/batches/<int:pk>/resume/", content_pages.batch_resume, name="ai-batch-resume"),
    path("ai/quality/", content_pages.quality_page, name="ai-quality"),
    path("ai/prompts/", prompt_pages.prompts_page, name="ai-prompts"),
    path("ai/prompts/<slug:key>/", prompt_pages.prompt_page, name="ai-prompt"),
    path("ai/prompts/<slug:key>/label/", prompt_pages.prompt_label, name="ai-prompt-label"),
    path("ai/chat/", chat_pages.inbox, name="chat-inbox"),
    path("ai/chat/<int:pk>/", chat_pages.conversation, name="chat-conversation"),
    path("ai/chat/knowledge/", chat_pages.knowledge, name="chat-knowledge"),
    path("ai/chat/knowledge/<int:pk>/", chat_pages.knowledge_edit, name="chat-knowledge-edit"),
    path("ai/chat/knowledge/<int:pk>/delete/", chat_pages.knowledge_delete, name="chat-knowledge-delete"),
    path("ai/chat/settings/", chat_pages.chat_settings, name="chat-settings"),
    path("ai/chat/settings/rotate-key/", chat_pages.rotate_site_key, name="chat-settings-rotate"),
    path("chat/widget.js", chat_pages.widget_js, name="chat-widget-js"),
    path("analytics/", intelligence_pages.analytics_page, name="analytics"),
    path("analytics/export.csv", intelligence_pages.analytics_csv, name="analytics-csv"),
    path("analytics/funnels/", funnel_pages.funnels_page, name="analytics-funnels"),
    path("analytics/funnels/export.csv", funnel_pages.funnels_csv, name="analytics-funnels-csv"),
    path("analytics/retention/", funnel_pages.retention_page, name="analytics-retention"),
    path("analytics/retention/export.csv", funnel_pages.retention_csv, name="analytics-retention-csv"),
    path("analytics/segments/", segment_pages.segments_page, name="analytics-segments"),
    path("analytics/segments/export.csv", segment_pages.segments_csv, name="analytics-segments-csv"),
    path("analytics/segments/compute/", segment_pages.segments_compute, name="analytics-segments-compute"),
    path(
        "analytics/segments/<str:segment>/export.csv",
        segment_pages.segment_members_csv,
        name="analytics-segment-csv",
    ),
    path("analytics/attribution/", attribution_pages.attribution_page, name="analytics-attribution"),
    path("analytics/attribution/export.csv", attribution_pages.attribution_csv, name="analytics-attribution-csv"),
    path("analytics/payments/", payment_pages.payments_page, name="analytics-payments"),
    path("analytics/payments/export.csv", payment_pages.payments_csv, name="analytics-payments-csv"),
    path("analytics/data/", data_pages.data_page, name="analytics-data"),
    path("analytics/data/settings/", data_pages.data_settings, name="analytics-data-settings"),
    path("analytics/data/imports/<int:pk>/errors.csv", data_pages.import_errors, name="analytics-data-import-errors"),
    path("billing/", billing_pages.billing, name="billing"),
    path("billing/invoices/<int:pk>.pdf", billing_pages.invoice_pdf, name="billing-invoice-pdf"),
    path("billing/pay/<str:token>/", billing_pages.pay_link, name="billing-pay-link"),
    path("billing/change/", billing_pages.change_plan, name="billing-change"),
    path("billing/cancel/", billing_pages.cancel_subscription, name="billing-cancel"),
    path("billing/pause/", billing_pages.pause_subscription, name="billing-pause"),
    path("billing/resume/", billing_pages.resume_subscription, name="billing-resume"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    URLResolver(NotUnder("api/"), web_pages),
    path("", include(tenant_api)),
    path("", include("suresh_ai.urls_common")),
]

# Unknown API paths answer in the API's error shape even with DEBUG on.
urlpatterns += [re_path(r"^api/", api_not_found)]
