"""Development settings: base with DEBUG on unless the environment says otherwise."""

from suresh_ai.settings.base import *  # noqa: F403
from suresh_ai.settings.base import STORAGES, env

DEBUG = env.bool("DEBUG", default=True)

# Development serves static files straight from the apps (no collectstatic, unhashed names).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
