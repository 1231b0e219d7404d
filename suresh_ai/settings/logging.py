"""Structured logging: every stdlib and structlog record becomes one JSON line on stdout."""

import logging
from typing import Any

import environ
import structlog

_env = environ.Env()
LOG_LEVEL = _env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = _env.str("LOG_FORMAT", default="json")  # "json" or "console"

_shared_processors: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
]

structlog.configure(
    processors=[*_shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


class DropRequestObject(logging.Filter):
    """Django attaches the request to error records; its repr carries the full URL and query string
    (tokens, emails). Our request log already has the request id, route and status."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("request", None)
        return True


LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"drop_request": {"()": DropRequestObject}},
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer()
                if LOG_FORMAT == "json"
                else structlog.dev.ConsoleRenderer(colors=False),
            ],
            "foreign_pre_chain": _shared_processors,
        }
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["drop_request"]}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our RequestLogMiddleware writes one line per request; Django's duplicate is noise.
        "django.request": {"level": logging.ERROR},
        "django.server": {"level": logging.WARNING},
        "axes": {"level": logging.WARNING},
    },
}
