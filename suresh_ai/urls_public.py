"""URLs on the platform's own domain: landing, sign-up, platform admin and probes."""

from django.urls import include, path, re_path

from billing.pages import revenue_dashboard
from billing.views import razorpay_webhook
from ops.backups.pages import backups_dashboard
from ops.dashboard import ops_dashboard
from ops.status import status_page
from ops.telemetry.pages import errors_dashboard, performance_dashboard
from ops.telemetry.prometheus import metrics_view
from suresh_ai.admin_site import admin_site
from suresh_ai.api.errors import api_not_found
from suresh_ai.urls_api import platform_api
from suresh_ai.urls_common import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here
from tenants.views import public, signup

urlpatterns = [
    path("", public.landing, name="home"),
    path("signup/", signup.signup_view, name="signup"),
    path("signup/confirm/<str:token>/", signup.signup_confirm_view, name="signup-confirm"),
    path("login/", public.find_workspace, name="login"),
    path("billing/razorpay/webhook/", razorpay_webhook, name="razorpay-webhook"),
    path("status/", status_page, name="status"),
    path("admin/ops/dashboard/", admin_site.admin_view(ops_dashboard), name="ops-dashboard"),
    path("admin/revenue/", admin_site.admin_view(revenue_dashboard), name="revenue-dashboard"),
    path("admin/backups/", admin_site.admin_view(backups_dashboard), name="backups-dashboard"),
    path("admin/errors/", admin_site.admin_view(errors_dashboard), name="errors-dashboard"),
    path("admin/performance/", admin_site.admin_view(performance_dashboard), name="performance-dashboard"),
    # Prometheus scrape endpoint: METRICS_TOKEN bearer or a platform staff session (ops.telemetry).
    path("metrics", metrics_view, name="metrics"),
    path("", include(platform_api)),
    path("", include("suresh_ai.urls_common")),
    re_path(r"^api/", api_not_found),
]
