"""URLs on the platform's own domain: landing, sign-up, platform admin and probes."""

from django.urls import include, path

from tenants.views import auth, public

handler400 = "suresh_ai.api.errors.handler400"
handler403 = "suresh_ai.api.errors.handler403"
handler404 = "suresh_ai.api.errors.handler404"
handler500 = "suresh_ai.api.errors.handler500"

urlpatterns = [
    path("", public.landing, name="home"),
    path("signup/", auth.signup_view, name="signup"),
    path("login/", public.find_workspace, name="login"),
    path("", include("suresh_ai.urls_common")),
]
