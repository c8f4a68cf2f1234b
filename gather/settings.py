"""Settings, driven by the environment (see docs/deploy.md).

With no environment at all Gather boots on SQLite under ``./.gather`` with the task
consumer started next to the web server, so ``make run`` needs nothing else.
"""

import contextlib
import logging
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
GATHER_HOME = Path(os.environ.get("GATHER_HOME", "./.gather")).resolve()
GATHER_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("GATHER_SECRET_KEY"):
        return key
    path = GATHER_HOME / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _private_file(path: Path) -> None:
    """Create an SQLite file readable by its owner only (SQLite's -wal and -shm files
    then get the same mode); an existing file keeps the mode it has."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GATHER_DEBUG", "") == "1"
PUBLIC_URL = os.environ.get("GATHER_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
STRIPE_API_BASE = os.environ.get("GATHER_STRIPE_API_BASE", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

# Reverse proxies in front of Gather that append the client's address to X-Forwarded-For
# (0: the connection's address is the client's; see docs/deploy.md).
TRUSTED_PROXIES = int(os.environ.get("GATHER_TRUSTED_PROXIES", "0") or 0)
# Failed sign-ins, API key checks, invite links and sign-ups: this many within this many
# seconds, per account and per client address, and the next attempt is answered 429.
THROTTLE_FAILURES = 10
THROTTLE_WINDOW = 15 * 60
THROTTLE_REDIS_PREFIX = os.environ.get("GATHER_HUEY_NAME", "gather") + ":throttle:"

# Behind TLS: GATHER_PUBLIC_URL is https, so a reverse proxy terminates TLS in front of
# Gather and tells it with X-Forwarded-Proto (docs/deploy.md). Cookies are sent over
# https only, and https answers carry HSTS.
HTTPS = PUBLIC_URL.startswith("https://")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("GATHER_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts, styles, images and connections from Gather itself only: no inline scripts or
# handlers (pages use gather/web/static/gather/*.js), no frames of Gather elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ALLOWED_HOSTS = [h for h in os.environ.get("GATHER_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "huey.contrib.djhuey",
    # Django Ninja's own templates and static files: /api/docs loads Swagger UI from this
    # server (without it, Ninja's docs page pulls Swagger UI from a CDN).
    "ninja",
    "gather.core",
    "gather.accounts",
    "gather.records",
    "gather.views",
    "gather.integrations",
    "gather.integrations.stripe",
    "gather.changes",
    "gather.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gather.api.middleware.ApiMediaTypeMiddleware",  # /api/ only: no multipart bodies
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gather.core.middleware.RefuseNulInPath",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gather.core.security.ContentSecurityPolicyMiddleware",
    "gather.web.middleware.TeamMiddleware",
    "gather.changes.source.ChangeSourceMiddleware",  # who writes (change log source)
]

# The records API authenticates with API keys only (no session, cookie or CSRF), so its
# requests skip the browser middleware above: a measurable share of a small upsert.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gather.api.middleware.ApiMediaTypeMiddleware",  # /api/ only: no multipart bodies
    "django.middleware.common.CommonMiddleware",  # Content-Length on every response
    "gather.core.middleware.RefuseNulInPath",
    "gather.core.security.ContentSecurityPolicyMiddleware",  # /api/docs (HTML only)
    "gather.changes.source.ChangeSourceMiddleware",  # who writes (change log source)
]

ROOT_URLCONF = "gather.urls"
WSGI_APPLICATION = "gather.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gather.web.context.teams",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{GATHER_HOME / 'gather.db'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if (name := str(DATABASES["default"]["NAME"])) and not name.startswith((":memory:", "file:")):
        _private_file(Path(name))
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if os.environ.get("GATHER_TESTING") else 600
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock up front: no deadlock when a read turns into a write.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-65536; PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # psycopg prepares a statement its own cursors run a 5th time (Django turns that
    # off); only gather.core.db.hot_cursor binds server-side, so only the per-request
    # lookups and record upserts are prepared.
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    # Django's backend, with a health check that needs no round trip (see the module).
    DATABASES["default"]["ENGINE"] = "gather.core.postgresql"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if test_name := os.environ.get("GATHER_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_name}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/views"
LOGOUT_REDIRECT_URL = "/login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = GATHER_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if os.environ.get("GATHER_TESTING"):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_AUTOREFRESH = True

# Request size limits: the records API enforces its own (1 MiB a record, 16 MiB a batch).
DATA_UPLOAD_MAX_MEMORY_SIZE = 17 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("GATHER_HUEY_NAME", "gather"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 4, "worker_type": "thread"},
    }
else:
    _private_file(GATHER_HOME / "tasks.db")
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": os.environ.get("GATHER_HUEY_NAME", "gather"),
        "filename": str(GATHER_HOME / "tasks.db"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
if os.environ.get("GATHER_TASKS_IMMEDIATE") == "1":
    HUEY["immediate"] = True

# Gather's own loggers speak at GATHER_LOG_LEVEL (default INFO). Libraries speak at
# WARNING unless it is DEBUG: the Stripe SDK logs every request at INFO (15,000 lines in
# one backfill), huey every task, urllib3 every connection.
LOG_LEVEL = os.environ.get("GATHER_LOG_LEVEL", "INFO").strip().upper() or "INFO"
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"GATHER_LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
LIBRARY_LOG_LEVEL = (
    "DEBUG" if LOG_LEVEL == "DEBUG" else max(LOG_LEVEL, "WARNING", key=logging.getLevelName)
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LIBRARY_LOG_LEVEL},
    "loggers": {
        "gather": {"level": LOG_LEVEL},
        # huey's consumer adds its own handler to a "huey" logger that has none.
        "huey": {"handlers": ["console"], "level": LIBRARY_LOG_LEVEL, "propagate": False},
    },
}
