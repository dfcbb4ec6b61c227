"""Settings for the test suite: fast hashing, in-memory email, Celery tasks inline (the
worker tests start a real worker on Redis and send to it explicitly)."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
# The sync tests count the sync's own Zoho writes; the history mirror's tests switch it on.
ZOHO_HISTORY_MIRROR_AFTER_RUN = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: the real-worker tests open the same test database from another
    # process.
    # One file per test process, so parallel runs on one machine do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
