from django.urls import path

from billing.api.v1 import views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="api-billing-plans"),
    path("entitlements/", views.EntitlementsView.as_view(), name="api-billing-entitlements"),
    path("subscription/", views.SubscriptionView.as_view(), name="api-billing-subscription"),
    path("subscription/change/", views.PlanChangeView.as_view(), name="api-billing-change"),
    path("subscription/change-quote/", views.PlanChangeQuoteView.as_view(), name="api-billing-change-quote"),
    path("subscription/cancel/", views.SubscriptionCancelView.as_view(), name="api-billing-cancel"),
    path("subscription/pause/", views.SubscriptionPauseView.as_view(), name="api-billing-pause"),
    path("subscription/resume/", views.SubscriptionResumeView.as_view(), name="api-billing-resume"),
    path("checkout/", views.CheckoutView.as_view(), name="api-billing-checkout"),
    path("checkout/complete/", views.CheckoutCompleteView.as_view(), name="api-billing-checkout-complete"),
    path("referral/", views.ReferralView.as_view(), name="api-billing-referral"),
    path("profile/", views.BillingProfileView.as_view(), name="api-billing-profile"),
    path("payments/", views.PaymentListView.as_view(), name="api-billing-payments"),
    path("invoices/", views.InvoiceListView.as_view(), name="api-billing-invoices"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="api-billing-invoice"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="api-billing-invoice-pdf"),
]
