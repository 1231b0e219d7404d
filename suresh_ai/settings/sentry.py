"""Sentry error tracking: on when SENTRY_DSN is set, never with personal data."""

import logging

logger = logging.getLogger(__name__)


def init_sentry(*, dsn: str, environment: str, release: str) -> bool:
    if not dsn:
        logger.info("sentry_disabled", extra={"reason": "SENTRY_DSN is empty"})
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.redis import RedisIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # No personal data: no user details from requests, no bodies, no local variables, no SQL values.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration(), LoggingIntegration()],
        traces_sample_rate=0.0,
    )
    logger.info("sentry_enabled", extra={"environment": environment, "release": release})
    return True
