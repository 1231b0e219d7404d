"""URL patterns served on every host: probes, API reference, admin, password reset."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from ops import views as ops_views
from suresh_ai.admin_site import admin_site
from tenants.views.auth import BrandedPasswordResetView

# Both URLconfs re-export these: every host answers errors in one shape (JSON under /api/).
handler400 = "suresh_ai.api.errors.handler400"
handler403 = "suresh_ai.api.errors.handler403"
handler404 = "suresh_ai.api.errors.handler404"
handler500 = "suresh_ai.api.errors.handler500"

password_reset_patterns = [
    path(
        "password-reset/",
        BrandedPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="auth/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="auth/password_reset.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="auth/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask every host for /favicon.ico (the admin's pages name no icon): send the static one."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("api/v1/schema/", SpectacularAPIView.as_view(urlconf="suresh_ai.urls_api"), name="api-schema"),
    # The split view serves Swagger UI's start-up script from its own URL: no inline <script> (CSP).
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin_site.urls),
    path("", include(password_reset_patterns)),
]
