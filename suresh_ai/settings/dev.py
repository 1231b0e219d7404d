"""Development settings: base with DEBUG on unless the environment says otherwise."""

from suresh_ai.settings.base import *  # noqa: F403
from suresh_ai.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
