"""The launch plans: Starter ₹99, Pro ₹499, Premium ₹999, Platinum ₹2,999 a month; yearly = 10x."""

from django.db import migrations

PLANS = [
    # code, name, monthly paise, AI requests/month, seats, API/min, burst, bypass, features, order
    ("starter", "Starter", 9_900, 1_000, 2, 60, 100, False, ["ai_content"], 1),
    ("pro", "Pro", 49_900, 10_000, 5, 120, 200, False, ["ai_content", "chatbot", "experiments"], 2),
    (
        "premium",
        "Premium",
        99_900,
        50_000,
        15,
        300,
        500,
        True,
        ["ai_content", "chatbot", "experiments", "journeys", "attribution"],
        3,
    ),
    (
        "platinum",
        "Platinum",
        299_900,
        300_000,
        50,
        600,
        1_000,
        True,
        ["ai_content", "chatbot", "experiments", "journeys", "attribution", "white_label"],
        4,
    ),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for code, name, monthly, ai, seats, rate, burst, bypass, features, order in PLANS:
        Plan.objects.get_or_create(
            code=code,
            version=1,
            defaults={
                "name": name,
                "price_monthly_paise": monthly,
                "price_yearly_paise": monthly * 10,
                "ai_requests_per_month": ai,
                "seats": seats,
                "api_rate_per_minute": rate,
                "api_burst": burst,
                "rate_limit_bypass": bypass,
                "features": features,
                "sort_order": order,
                "is_current": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
