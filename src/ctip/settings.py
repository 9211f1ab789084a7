"""Settings for ctip, read from the environment.

Every deployment knob is an environment variable; nothing secret lives in the repository.

- ``CTIP_DATA_DIR``: where the embedded database, uploads, the generated secret key and the demo
  logins live (default: ``./var`` under the current directory).
- ``DATABASE_URL``: a database URL (``postgres://user@host:5432/name``); default is SQLite in the
  data directory.
- ``SECRET_KEY``: Django's secret key; if unset, the key stored in ``<data dir>/secret_key`` is used
  (``ctip demo`` creates it once).
- ``ALLOWED_HOSTS``: comma separated; default ``127.0.0.1,localhost``.
- ``CTIP_DEBUG``: ``1`` for development only.
- ``CTIP_ENV``: ``production`` (the default) or ``development``. Only ``development`` lets
  ``ctip check`` pass with ``CTIP_DEBUG=1`` or ``CTIP_TESTING=1`` (decision record 0024).
- SMTP settings: ``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_HOST_USER``,
  ``EMAIL_HOST_PASSWORD``, ``EMAIL_USE_TLS``, ``DEFAULT_FROM_EMAIL``.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONCE as _csp_nonce
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
TESTING = "pytest" in sys.modules or os.environ.get("CTIP_TESTING") == "1"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("CTIP_DATA_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    if TESTING:
        return "ctip-tests-only-not-a-secret"  # noqa: S105
    raise ImproperlyConfigured(
        "SECRET_KEY is not set and no key file exists at "
        f"{key_file}. Set SECRET_KEY, or run any `ctip` command once to generate one."
    )


SECRET_KEY = _secret_key()


def _field_keys() -> list[str]:
    """Fernet keys for identity fields, newest first: ``CTIP_FIELD_KEYS`` or the key file that
    ``ctip`` creates in the data directory for a local installation."""
    if os.environ.get("CTIP_FIELD_KEYS"):
        return env_list("CTIP_FIELD_KEYS", "")
    key_file = DATA_DIR / "field_keys"
    if key_file.exists():
        return [k for k in key_file.read_text().split() if k]
    if TESTING:
        return ["Y3RpcC10ZXN0cy1vbmx5LWZpZWxkLWtleS0wMDAwMDA="]
    return []


CTIP_FIELD_KEYS = _field_keys()
# The audit chain's HMAC keys (``ctip.audit.keys.load_keys``): ``CTIP_AUDIT_KEYS`` (``id:key``,
# newest first) or the file below, created on first use; signed checkpoints of the chain are
# appended to the checkpoint file (see docs/decisions/0023).
CTIP_AUDIT_KEYS = env_list("CTIP_AUDIT_KEYS", "") or (
    # A fixed key for the test suite, unless the data directory already has its own (a
    # ``ctip`` subprocess of a test reads the key its migrate wrote).
    ["t1:Y3RpcC10ZXN0cy1vbmx5LWF1ZGl0LWtleS0wMDAwMDAwMDA="]
    if TESTING and not (DATA_DIR / "audit_keys").exists() else [])
CTIP_AUDIT_KEY_FILE = DATA_DIR / "audit_keys"
CTIP_AUDIT_CHECKPOINT_FILE = DATA_DIR / "audit_checkpoints"
DEBUG = env_bool("CTIP_DEBUG")
# "development" is a developer's own machine, said explicitly; anything else is a server.
CTIP_ENV = os.environ.get("CTIP_ENV", "production").strip().lower()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "ctip.core",
    "ctip.org",
    "ctip.accounts",
    "ctip.audit",
    "ctip.units",
    "ctip.trail",
    "ctip.catalogues",
    "ctip.outreach",
    "ctip.community",
    "ctip.cases",
    "ctip.portal",
    "ctip.offers",
    "ctip.reports",
    "ctip.api",
    "ctip.ops",
    "ctip.home",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    # Wagtail: the public bulletin (pages, workflow, revisions, images, documents).
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.table_block",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "ninja",  # the API documentation's files (Swagger UI), served as our static files
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ctip.core.middleware.HostileInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy and Permissions-Policy on every answer past the static files
    # (ctip.core.csp, decision record 0024).
    "ctip.core.csp.PolicyMiddleware",
    "ctip.core.csp.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ctip.core.middleware.SessionRenewalMiddleware",
    "ctip.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, the session's device read from the signed-in user's snapshot
    "ctip.accounts.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # a part asked for by htmx and sent to sign in goes there whole (decision record 0104)
    "ctip.core.middleware.HtmxLeavesPageMiddleware",
    "ctip.core.middleware.RequestContextMiddleware",
    "ctip.accounts.middleware.AccountSecurityMiddleware",
    "axes.middleware.AxesMiddleware",
    # Wagtail's redirects, for the bulletin's addresses only (decision record 0083)
    "ctip.portal.redirects.BulletinRedirectMiddleware",
    # the reports' reads from the replica when one is configured (decision record 0047)
    "ctip.core.dbrouter.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "ctip.urls"
WSGI_APPLICATION = "ctip.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            # ``{% url %}`` without arguments reversed once per process (decision record 0071)
            "builtins": ["ctip.core.templatetags.fixed_urls"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ctip.accounts.context_processors.shell",
                "csp.context_processors.nonce",  # CSP_NONCE for the rare inline <style>
                "ctip.core.dbrouter.figures_notice",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'ctip.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    }
# One connection per gunicorn worker, kept between requests (opening one costs milliseconds of
# CPU on every request); checked before reuse. ``ctip serve`` refuses a SQLite connection without
# WAL or busy timeout (``ctip.core.dbsettings``, decision record 0034). The tests close theirs
# (the test databases are dropped while the live server's threads would still hold them).
DATABASES["default"]["CONN_MAX_AGE"] = (
    0 if TESTING else int(os.environ.get("CTIP_CONN_MAX_AGE", "600")))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica of the PostgreSQL primary (``DATABASE_REPLICA_URL``): the reports'
# pages, dashboards and exports read from it, everything else and every write go to the
# primary (``ctip.core.dbrouter``, decision record 0047). A replica that lags more than
# CTIP_REPLICA_MAX_LAG_SECONDS or does not answer is left alone until the next check
# (CTIP_REPLICA_CHECK_SECONDS); a user's own writes are read from the primary for
# CTIP_REPLICA_STICKY_SECONDS. The tests keep a ``replica`` alias that mirrors the test
# database and route nothing to it unless a test says so.
_replica_url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(_replica_url)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # an unreachable replica must cost seconds, not the operating system's minutes
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 3
elif TESTING:
    DATABASES["replica"] = DATABASES["default"].copy()
if "replica" in DATABASES:
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL: no JIT compilation, which costs the report queries more than it saves (1.1 s of
# the clubs' 1.7 s query of the nation table, decision 0061). CTIP_PG_OPTIONS replaces this
# ("" keeps the server's settings); an ``options`` given in the database URL wins.
CTIP_PG_OPTIONS = os.environ.get("CTIP_PG_OPTIONS", "-c jit=off").strip()
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql" and CTIP_PG_OPTIONS:
        _db.setdefault("OPTIONS", {}).setdefault("options", CTIP_PG_OPTIONS)
DATABASE_ROUTERS = ["ctip.core.dbrouter.ReplicaRouter"]
CTIP_REPLICA_ALIAS = "replica" if _replica_url and not TESTING else ""
CTIP_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("CTIP_REPLICA_MAX_LAG_SECONDS", "30"))
CTIP_REPLICA_CHECK_SECONDS = float(os.environ.get("CTIP_REPLICA_CHECK_SECONDS", "5"))
CTIP_REPLICA_STICKY_SECONDS = float(os.environ.get("CTIP_REPLICA_STICKY_SECONDS", "60"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security -------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, the signed-in user, her devices and grants read from the shared
    # cache while none of them changed (``ctip.accounts.principal``, decision record 0060)
    "ctip.accounts.principal.Backend",
]
# Lockout (docs/decisions/0022): five failed sign-ins for one username from one client address
# lock that pair for 30 minutes; refused tries do not extend the lock; failures from several
# addresses give the account a growing delay (1, 2, 4 ... minutes, at most 15). See
# ``ctip.accounts.lockout``.
AXES_FAILURE_LIMIT = int(os.environ.get("CTIP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CTIP_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "ctip.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "ctip.core.client.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ctip.accounts.views.lockout_response"
CTIP_LOGIN_ACCOUNT_THRESHOLD = int(os.environ.get("CTIP_LOGIN_ACCOUNT_THRESHOLD",
                                                  str(2 * AXES_FAILURE_LIMIT)))
CTIP_LOGIN_ACCOUNT_DELAY_MINUTES = float(os.environ.get("CTIP_LOGIN_ACCOUNT_DELAY_MINUTES", "1"))
CTIP_LOGIN_ACCOUNT_DELAY_CAP_MINUTES = float(
    os.environ.get("CTIP_LOGIN_ACCOUNT_DELAY_CAP_MINUTES", "15"))
AXES_VERBOSE = False
# Sessions are read from the shared cache and written to the database and the cache
# (``ctip.core.sessions``, decision record 0060): no query to read one.
SESSION_ENGINE = "ctip.core.sessions"
# Idle timeout: the session expires after this many minutes without a request. A request
# pushes the expiry back by writing the session, at most once a minute
# (``ctip.core.middleware.SessionRenewalMiddleware``), not on every GET.
SESSION_COOKIE_AGE = int(os.environ.get("CTIP_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
CTIP_SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("CTIP_SSL_REDIRECT")
SESSION_COOKIE_SECURE = env_bool("CTIP_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("CTIP_HSTS_SECONDS", "0"))
OTP_TOTP_ISSUER = "ctip"

# Content-Security-Policy (django-csp 4, decision record 0024): scripts and styles only from
# our own static files, or inline with the request's nonce; no 'unsafe-inline', no
# 'unsafe-eval', nothing from another host, no plugins, no framing, forms post only to us.
# The Wagtail admin under /cms/ gets the few relaxations it needs (ctip.core.csp.CMS_REPLACE).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _csp_nonce],
        "style-src": ["'self'", _csp_nonce],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's catalogue first; then the bulletin's, which also fills the gaps of Wagtail's
# Vietnamese catalogues -- here so that Wagtail's admin JavaScript catalogue reads it too.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "portal" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["ctip.formats"]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    # the file system, and a file of a row that was not saved is removed (decision 0110)
    "default": {"BACKEND": "ctip.core.files.Storage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "ctip.core.staticstorage.StaticFilesStorage"  # WhiteNoise's, decision 0082
        )
    },
}
WHITENOISE_USE_FINDERS = TESTING or DEBUG
# Tests and development find a static file when it is asked for, instead of listing the apps'
# 800 files each time Django's handler is built: each test client builds one (decision 0083).
WHITENOISE_AUTOREFRESH = TESTING or DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# A running task holds a lease its worker renews every lease/4 seconds; a task whose lease
# expired (its worker died) is run again, at most CTIP_TASK_ATTEMPTS times in all, then marked
# failed (``ctip.core.leases``, decision 0028).
CTIP_TASK_LEASE_SECONDS = float(os.environ.get("CTIP_TASK_LEASE_SECONDS", "60"))
CTIP_TASK_ATTEMPTS = int(os.environ.get("CTIP_TASK_ATTEMPTS", "3"))

# A move, merger or split taking more than this many rows along (units below it and what
# happened there) runs in the background (``units.jobs``, decision 0103): a province's would
# take longer than a web worker is given.
CTIP_RESTRUCTURING_IN_REQUEST = int(os.environ.get("CTIP_RESTRUCTURING_IN_REQUEST", "50000"))

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# A hung mail server must not hold the worker: every SMTP operation gives up after this many
# seconds, and a failed message is tried again later (``ctip.core.mail``).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
CTIP_MAIL_ATTEMPTS = int(os.environ.get("CTIP_MAIL_ATTEMPTS", "6"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ctip@localhost")
if not os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Every message written as a file into this folder instead of sent (trials, the worker-kill tests).
if os.environ.get("CTIP_EMAIL_FILE_PATH"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["CTIP_EMAIL_FILE_PATH"]

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CTIP_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Cache ----------------------------------------------------------------------------------
# One cache shared by the gunicorn workers (files in the data directory): rendered bulletin pages
# and the report form's rate limit. Tests use memory.
# ``CTIP_CACHE_URL`` (``redis://host:6379/0``): one Redis cache for several servers, so that a
# publish, a rate limit or a user's "read your own writes" mark is seen by all at once; its keys
# under this installation's own prefix (``CTIP_CACHE_PREFIX``, ``_cache_prefix``).
CTIP_CACHE_URL = os.environ.get("CTIP_CACHE_URL", "").strip()


def _cache_prefix() -> str:
    """The prefix of this installation's keys in a shared Redis (``CTIP_CACHE_PREFIX``, or one
    made from the secret key): two installations sent to one Redis database (two provinces, a
    training copy beside the real one) must never read each other's kept cards, figures and
    sessions, while the servers of one installation, which share its secret key, share it. A
    hash of the key, salted, tells nothing of the key. Letters, digits, ``-``, ``_`` and ``.``
    only: ``ctip caches empty`` deletes ``<prefix>:*``, and a pattern character would reach
    other keys (``ops.backup.forget_cached``)."""
    named = os.environ.get("CTIP_CACHE_PREFIX", "").strip()
    if not named:
        salted = hashlib.sha256(b"ctip cache prefix\0" + SECRET_KEY.encode()).hexdigest()
        return f"ctip-{salted[:16]}"
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", named):
        raise ImproperlyConfigured(
            f"CTIP_CACHE_PREFIX={named!r}: use 1 to 64 letters, digits, '-', '_' or '.' "
            "(no ':', '*', '?', '[' or spaces).")
    return named


CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CTIP_CACHE_URL,
         "TIMEOUT": 3600, "KEY_PREFIX": _cache_prefix()}
        if CTIP_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ctip-tests"}
        if TESTING
        else {
            # Django's, counting its files every 100 writes, not before each (decision 0066)
            "BACKEND": "ctip.core.filecache.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "TIMEOUT": 3600,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

# --- Public bulletin (Wagtail) --------------------------------------------------------------
# ``CTIP_PUBLIC_URL``: the bulletin's public address (``https://phunu.example.vn``), used for
# canonical links, Open Graph, RSS and the sitemap; unset, the address of the request is used.
CTIP_PUBLIC_URL = os.environ.get("CTIP_PUBLIC_URL", "").rstrip("/")
WAGTAIL_SITE_NAME = os.environ.get("CTIP_SITE_NAME", "Bản tin phòng, chống mua bán người")
WAGTAILADMIN_BASE_URL = CTIP_PUBLIC_URL or "http://127.0.0.1:8000"
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False  # Vietnamese slugs without diacritics (ctip.portal.slugs)
WAGTAILSEARCH_BACKENDS = {
    # "simple": no English stemming or stop words on PostgreSQL; the indexed text is folded
    # Vietnamese (see ctip.portal.search).
    "default": {"BACKEND": "wagtail.search.backends.database", "SEARCH_CONFIG": "simple"},
}
# Editors sign in through our own sign-in page (two-step sign-in, lockout, audit): "cms_login"
# sends the signed-out there and the signed-in without the bulletin roles to the staff home.
WAGTAILADMIN_LOGIN_URL = "cms_login"
WAGTAIL_FRONTEND_LOGIN_URL = "accounts:login"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
WAGTAIL_USER_TIME_ZONES = ["Asia/Ho_Chi_Minh"]  # one province, one clock: no list of 600 zones
WAGTAIL_DATE_FORMAT = "%d/%m/%Y"
WAGTAIL_DATETIME_FORMAT = "%d/%m/%Y %H:%M"
WAGTAIL_TIME_FORMAT = "%H:%M"
# Nothing loads from the internet: no avatars from Gravatar, no update check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "odt", "ods", "pptx", "txt", "csv"]
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
# A photo straight from a phone is accepted (up to 20 MB and 50 megapixels) and shrunk on
# upload to 2400 px on its longest side (ctip.portal.images); larger files are refused in
# Vietnamese. The reverse proxy must accept the size too (docs/operations.md).
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000
WAGTAILIMAGES_IMAGE_FORM_BASE = "ctip.portal.images.ImageForm"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000  # the page editor posts many fields

# --- ctip -----------------------------------------------------------------------------------
CTIP_OTP_REQUIRED_CAPABILITY = "identity.view"
# One-time codes an administrator issues to register an authenticator app expire after this.
CTIP_ENROLMENT_CODE_HOURS = float(os.environ.get("CTIP_ENROLMENT_CODE_HOURS", "72"))
# Identities are wiped this many years after every case of a person has closed
# (``ctip persons anonymise-due``, run daily by the worker).
CTIP_ANONYMISE_AFTER_YEARS = int(os.environ.get("CTIP_ANONYMISE_AFTER_YEARS", "10"))
# Reverse proxies whose X-Forwarded-For (for the client's address, ``ctip.core.client``) and
# X-Forwarded-Proto (gunicorn, ``ctip serve``) are believed: comma separated addresses or
# networks. The default is the proxy on the same host that docs/operations.md describes.
if "CTIP_FORWARDED_ALLOW_IPS" in os.environ:
    raise ImproperlyConfigured(
        "CTIP_FORWARDED_ALLOW_IPS is no longer read: rename it to CTIP_TRUSTED_PROXIES "
        "(one setting for the proxy, see docs/operations.md).")
CTIP_TRUSTED_PROXIES = frozenset(env_list("CTIP_TRUSTED_PROXIES", "127.0.0.1,::1"))

# The letterhead of the periodic report PDF (``ctip.reports.pdf``): the organ that issues a
# unit's report and how the Union at a unit is named (``{unit}`` is the unit's name, "xã Đức
# Hòa"), the place before the date (empty: the province's name) and the signature block, its
# lines separated by "|".
CTIP_REPORT_ISSUER = os.environ.get("CTIP_REPORT_ISSUER", "Ban Thường vụ Hội LHPN {unit}")
CTIP_REPORT_ORGAN = os.environ.get("CTIP_REPORT_ORGAN", "Hội LHPN {unit}")
CTIP_REPORT_PLACE = os.environ.get("CTIP_REPORT_PLACE", "")
CTIP_REPORT_SIGNATURE = [line.strip() for line in os.environ.get(
    "CTIP_REPORT_SIGNATURE", "TM. BAN THƯỜNG VỤ|CHỦ TỊCH").split("|") if line.strip()]


# --- Backups, keys and health (decision 0025) -----------------------------------------------
# The worker writes a backup every day at CTIP_BACKUP_AT (local time) into CTIP_BACKUP_DIR and
# keeps the newest CTIP_BACKUP_KEEP; off while CTIP_BACKUP_DIR is unset. Sealed for the public
# key in the file CTIP_BACKUP_PUBLIC_KEY and/or the passphrase in CTIP_BACKUP_PASSPHRASE_FILE.
CTIP_BACKUP_DIR = os.environ.get("CTIP_BACKUP_DIR", "")
CTIP_BACKUP_KEEP = int(os.environ.get("CTIP_BACKUP_KEEP", "7"))
CTIP_BACKUP_AT = os.environ.get("CTIP_BACKUP_AT", "02:30")
CTIP_BACKUP_PUBLIC_KEY = os.environ.get("CTIP_BACKUP_PUBLIC_KEY", "")
CTIP_BACKUP_PASSPHRASE_FILE = os.environ.get("CTIP_BACKUP_PASSPHRASE_FILE", "")
# Files of the data directory that hold keys (``ctip keys export``): never in a backup.
CTIP_KEY_FILE_PATTERNS = ["*_key", "*_keys", "*.key"]
# /healthz answers 503 when the worker's last heartbeat is older than this many seconds, or
# a queued task has waited longer than CTIP_HEALTH_QUEUE_SECONDS.
CTIP_HEALTH_WORKER_SECONDS = int(os.environ.get("CTIP_HEALTH_WORKER_SECONDS", "300"))
CTIP_HEALTH_QUEUE_SECONDS = int(os.environ.get("CTIP_HEALTH_QUEUE_SECONDS", "900"))
# The web process runs the jobs that keep reads fast (the roll-ups' compaction) when no worker
# runs them, checking at most this often per process after a response (0: never; off in the
# tests, whose query counts it would change).
CTIP_WEB_JOBS_SECONDS = 0 if TESTING else int(os.environ.get("CTIP_WEB_JOBS_SECONDS", "60"))
