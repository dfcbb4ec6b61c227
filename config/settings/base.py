"""Settings shared by every environment. Every value can be set from the environment;
the README's configuration table lists them all with their defaults."""

import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet

from config.settings.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret(filename: str, make: callable) -> str:
    """A development-only secret, generated once and kept under var/ (never committed)."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY", "") or _local_secret(
    "dev-secret-key", lambda: secrets.token_urlsafe(50)
)
# Comma-separated Fernet keys: the first encrypts, all decrypt (see manage.py rotate_field_keys).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", []) or [
    _local_secret("dev-field-key", lambda: Fernet.generate_key().decode())
]

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "tenants",
    "amazon_ext",
    "history",
    "crm_sync",
    "installation",
]

AUTHENTICATION_BACKENDS = ["tenants.signin.LockingModelBackend"]
# Ten failed sign-ins in a row lock the name this long (Amazon's Data Protection Policy).
SIGNIN_LOCK_MINUTES = env_int("SIGNIN_LOCK_MINUTES", 15)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            # secure_delete: removed buyer data is overwritten in the file, not left in free
            # pages (Amazon's Data Protection Policy; crm_sync.services.data_protection).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Redis is optional for the embedded default; when set it holds locks and Amazon quota buckets.
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat's own entries (django-celery-beat copies them into its table at start).
SCHEDULE_DISPATCH_SECONDS = env_float("SCHEDULE_DISPATCH_SECONDS", 10.0)
DATA_PROTECTION_HOUR_UTC = env_int("DATA_PROTECTION_HOUR_UTC", 3)
DATA_PROTECTION_MINUTE_UTC = env_int("DATA_PROTECTION_MINUTE_UTC", 15)
CELERY_BEAT_SCHEDULE = {
    "recover-stale-runs": {
        "task": "crm_sync.tasks.recover_stale_runs",
        "schedule": 60.0,
        "options": {"queue": "dispatch", "expires": 60},
    },
    # Every tenant's 23:55 (crm_sync.services.dispatch): one entry, whatever the tenant count.
    "dispatch-due-schedules": {
        "task": "crm_sync.tasks.dispatch_due_schedules",
        "schedule": SCHEDULE_DISPATCH_SECONDS,
        "options": {"queue": "dispatch", "expires": SCHEDULE_DISPATCH_SECONDS},
    },
    # Run history into Zoho's history modules: whatever the after-run task missed.
    "mirror-history-sweep": {
        "task": "crm_sync.tasks.mirror_history_sweep",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
    # Amazon's Data Protection Policy: expired buyer data removed, old history purged, daily.
    "data-protection-daily": {
        "task": "crm_sync.tasks.data_protection_daily",
        "schedule": crontab(minute=DATA_PROTECTION_MINUTE_UTC, hour=DATA_PROTECTION_HOUR_UTC),
        "options": {"queue": "dispatch", "expires": 3600},
    },
}
# Fair workers (see README "Fair workers"): "dispatch" for the beat's ticks, "celery" for
# triggers, daily runs and emails, "backlog" for first syncs and large catch-ups, of which at
# most SYNC_BACKLOG_CONCURRENCY execute at once. A worker started without -Q consumes all three.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"dispatch": {}, "celery": {}, "backlog": {}}
CELERY_TASK_ROUTES = ("crm_sync.routing.route_task",)
SYNC_BACKLOG_CONCURRENCY = env_int("SYNC_BACKLOG_CONCURRENCY", 1)
SYNC_BACKLOG_AFTER_HOURS = env_float("SYNC_BACKLOG_AFTER_HOURS", 48.0)
SYNC_BACKLOG_ORDERS = env_int("SYNC_BACKLOG_ORDERS", 2000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# A run that outlives its soft limit stops at the next page boundary; the hard limit kills it.
SYNC_SOFT_TIME_LIMIT = env_int("SYNC_SOFT_TIME_LIMIT", 3 * 3600)
SYNC_HARD_TIME_LIMIT = env_int("SYNC_HARD_TIME_LIMIT", 3 * 3600 + 300)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "sent-emails"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Amazon Sync <amazon-sync@localhost>")

# Amazon. The overrides send every call for a real Amazon host to one local address (the
# stand-ins in sandbox/) while keeping the real Host header, so signatures are computed as
# they would be against Amazon.
AMAZON_MWS_ENDPOINT_OVERRIDE = env_str("AMAZON_MWS_ENDPOINT_OVERRIDE", "")
AMAZON_SPAPI_ENDPOINT_OVERRIDE = env_str("AMAZON_SPAPI_ENDPOINT_OVERRIDE", "")
AMAZON_LWA_TOKEN_URL = env_str("AMAZON_LWA_TOKEN_URL", "https://api.amazon.com/auth/o2/token")
AMAZON_SPAPI_CONSENT_URL = env_str("AMAZON_SPAPI_CONSENT_URL", "https://sellercentral.amazon.com")
AMAZON_SPAPI_APP_ID = env_str("AMAZON_SPAPI_APP_ID", "")
AMAZON_LWA_CLIENT_ID = env_str("AMAZON_LWA_CLIENT_ID", "")
AMAZON_LWA_CLIENT_SECRET = env_str("AMAZON_LWA_CLIENT_SECRET", "")
# The redirect URI registered with the SP-API app; empty = built from the request
# (https://your.host/amazon/callback).
AMAZON_SPAPI_REDIRECT_URI = env_str("AMAZON_SPAPI_REDIRECT_URI", "")
# >1 speeds up quota refill for the stand-ins (tests, benchmarks); must match the stand-in's.
AMAZON_QUOTA_TIME_SCALE = env_float("AMAZON_QUOTA_TIME_SCALE", 1.0)
AMAZON_HTTP_TIMEOUT = env_float("AMAZON_HTTP_TIMEOUT", 30.0)
AMAZON_APP_NAME = env_str("AMAZON_APP_NAME", "AmazonZohoSync")
# Orders API for SP-API tenants: "2026-01-01" (searchOrders / getOrder), or "v0" to pin the
# deprecated getOrders / getOrderItems until the shut-off (an escape hatch, and benchmarks).
AMAZON_SPAPI_ORDERS_API = env_str("AMAZON_SPAPI_ORDERS_API", "2026-01-01")
# The day Amazon removes Orders v0 (ISO date, UTC): from then on v0 is never called, and a
# marketplace that refuses v2026 fails the run with what to do.
AMAZON_ORDERS_V0_SHUTOFF = env_str("AMAZON_ORDERS_V0_SHUTOFF", "2027-03-27")
# A tenant whose marketplace refused v2026 (403 on searchOrders while v0 works) uses v0 and
# tries v2026 again after this many days.
AMAZON_ORDERS_V2026_RETRY_DAYS = env_int("AMAZON_ORDERS_V2026_RETRY_DAYS", 7)
# Live updates: ORDER_CHANGE notifications from Amazon SQS (crm_sync.services.live_*).
# Empty queue URL: live updates are off for the installation (the schedules still run).
AMAZON_SQS_QUEUE_URL = env_str("AMAZON_SQS_QUEUE_URL", "")
AMAZON_SQS_QUEUE_ARN = env_str("AMAZON_SQS_QUEUE_ARN", "")  # default: built from the URL
AMAZON_SQS_DLQ_URL = env_str("AMAZON_SQS_DLQ_URL", "")
AMAZON_SQS_REGION = env_str("AMAZON_SQS_REGION", env_str("AWS_DEFAULT_REGION", "us-east-1"))
AMAZON_SQS_ENDPOINT_URL = env_str("AMAZON_SQS_ENDPOINT_URL", "")  # moto's server locally
LIVE_UPDATES_MAX_RECEIVES = env_int("LIVE_UPDATES_MAX_RECEIVES", 5)
LIVE_UPDATES_WAIT_SECONDS = env_int("LIVE_UPDATES_WAIT_SECONDS", 20)
LIVE_UPDATES_GATHER_SECONDS = env_float("LIVE_UPDATES_GATHER_SECONDS", 0.5)
LIVE_UPDATES_RETRY_SECONDS = env_int("LIVE_UPDATES_RETRY_SECONDS", 30)
# A status change of an order we hold in full is read from the notification's Summary
# (no getOrder); off: every changed order is fetched.
LIVE_UPDATES_STATUS_FROM_SUMMARY = env_bool("LIVE_UPDATES_STATUS_FROM_SUMMARY", True)

# Zoho CRM (a server-based client from api-console.zoho.com).
ZOHO_CLIENT_ID = env_str("ZOHO_CLIENT_ID", "")
ZOHO_CLIENT_SECRET = env_str("ZOHO_CLIENT_SECRET", "")
ZOHO_ACCOUNTS_URL = env_str("ZOHO_ACCOUNTS_URL", "https://accounts.zoho.com")
ZOHO_REDIRECT_URI = env_str("ZOHO_REDIRECT_URI", "")
ZOHO_HTTP_TIMEOUT = env_float("ZOHO_HTTP_TIMEOUT", 30.0)
ZOHO_MAX_CONCURRENCY = env_int("ZOHO_MAX_CONCURRENCY", 5)
# First wait after a Zoho 429/5xx (doubling, with jitter, capped at 60 s).
ZOHO_BACKOFF_BASE = env_float("ZOHO_BACKOFF_BASE", 2.0)
# Write each run into Zoho's Amazon Sync History / Order History modules as soon as it ends
# (off: only beat's mirror-history-sweep does, every 5 minutes).
ZOHO_HISTORY_MIRROR_AFTER_RUN = env_bool("ZOHO_HISTORY_MIRROR_AFTER_RUN", True)
# Where links to a Zoho record point; empty: the data centre's own web UI (crm.zoho.eu …).
# The demo points it at the Zoho stand-in.
ZOHO_CRM_WEB_URL = env_str("ZOHO_CRM_WEB_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SYNC_FIRST_RUN_LOOKBACK_DAYS = env_int("SYNC_FIRST_RUN_LOOKBACK_DAYS", 30)
# A run renews its lease every 15 s; one not renewed for this long belongs to a dead worker
# and is sent again by the watchdog (beat, every minute).
SYNC_RUN_LEASE_SECONDS = env_int("SYNC_RUN_LEASE_SECONDS", 90)
# A run lists Amazon in windows of this many days and writes what it has every
# SYNC_FLUSH_SECONDS, so a long backfill keeps its progress if it is stopped.
SYNC_WINDOW_DAYS = env_float("SYNC_WINDOW_DAYS", 3)
SYNC_FLUSH_SECONDS = env_int("SYNC_FLUSH_SECONDS", 300)
# Those flushes write full batches of 100 only; a remainder (and the orders that need it)
# waits at most this long before it is written part-full, and the source's cursor with it.
SYNC_PARTIAL_WRITE_SECONDS = env_int("SYNC_PARTIAL_WRITE_SECONDS", 1800)
# A backfill task that has run this long stops after its current report, everything read
# written, and sends the next task for the same run: none nears SYNC_SOFT_TIME_LIMIT.
BACKFILL_TASK_SECONDS = env_int("BACKFILL_TASK_SECONDS", 3600)
# A backfill writes this many orders per turn before the tenant's daily runs may go first.
BACKFILL_BATCH_ORDERS = env_int("BACKFILL_BATCH_ORDERS", 2000)
# Report orders purchased this recently that we hold as Pending are read again with getOrder
# (their buyer is still given); older ones stay on the anonymous contact.
BACKFILL_BUYER_DATA_DAYS = env_int("BACKFILL_BUYER_DATA_DAYS", 30)
# A message a worker took but did not acknowledge (it died) comes back after this many
# seconds; longer than the hard time limit so a live run is never handed out twice.
# Only Redis knows this option: kombu's SQLAlchemy transport (the embedded default) hands
# transport options to create_engine(), which refuses unknown keywords.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", SYNC_HARD_TIME_LIMIT + 600)}
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else {}
)
