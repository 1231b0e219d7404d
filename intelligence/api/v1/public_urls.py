from django.urls import path

from intelligence.api.v1 import public

urlpatterns = [
    path("track/", public.TrackView.as_view(), name="api-public-track"),
    path("razorpay/<str:token>/", public.RazorpayWebhookView.as_view(), name="api-public-razorpay"),
]
