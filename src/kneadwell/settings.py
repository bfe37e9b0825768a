"""Kneadwell settings: one module, driven by the environment.

Every value that may change between a laptop and a production clinic is read
from an environment variable through a small typed helper that fails loudly
(ImproperlyConfigured) on a value it does not understand. Nothing here is
read from a file the operator has to write.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    if value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Unexpected value {name}={value!r}: use true or false.")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Unexpected value {name}={value!r}: use a whole number.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    if value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envsecret(name: str) -> str:
    """The value of NAME, or the contents of the file named by NAME_FILE (Docker secrets)."""
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return value


# The demo clinic (make run / `kneadwell demo`) is the only place where DEBUG
# may be on by default and where a generated local secret is acceptable.
DEMO = envbool("KNEADWELL_DEMO", False)
DEBUG = envbool("DEBUG", False)
TESTING = envbool("KNEADWELL_TESTING", False)
# A real clinic: neither the demo, nor a developer's DEBUG, nor the test suite.
PRODUCTION = not (DEMO or DEBUG or TESTING)

DATA_DIR = Path(os.environ.get("KNEADWELL_DATA_DIR") or Path.cwd() / "var").resolve()


def _private_dir(path: Path) -> Path:
    """Make `path` (and parents) if missing; a directory we create is readable by its owner only."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def _private_file(path: Path, content: str = "") -> None:
    """Create `path` owner-only (0600) if missing, atomically: never briefly readable by others."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(content)


def _local_secret_key() -> str:
    """A secret kept in the data directory: good for a laptop, refused in production."""
    _private_dir(DATA_DIR)
    key_file = DATA_DIR / "secret_key"
    _private_file(key_file, secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if DEMO or DEBUG or TESTING:
        SECRET_KEY = _local_secret_key()
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is required outside the demo (set SECRET_KEY or SECRET_KEY_FILE, "
            "or run the demo with KNEADWELL_DEMO=true)."
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = os.environ.get("KNEADWELL_SITE_NAME", "Kneadwell")

INSTALLED_APPS = [
    # The Django admin with every ModelAdmin audited (accounts/admin_site.py).
    "kneadwell.accounts.admin_apps.KneadwellAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "csp",
    "kneadwell.accounts",
    "kneadwell.clinic",
    "kneadwell.therapists",
    "kneadwell.patients",
    "kneadwell.referrals",
    "kneadwell.intake",
    "kneadwell.planning",
    "kneadwell.scheduling",
    "kneadwell.charting",
    "kneadwell.outcomes",
    "kneadwell.billing",
    "kneadwell.notifications",
    "kneadwell.spotwork",
    "kneadwell.waitlist",
    "kneadwell.web",
    # Background tasks (messages): Django's task API, queue kept in the database (docs/architecture.md).
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, before anything could read a body: oversized requests get a 413 unread.
    "kneadwell.serving.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and auth layers, so the events they record are collected too.
    "kneadwell.accounts.middleware.AuditMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication; sees request.user as the view left it (the API sets it per token).
    "kneadwell.accounts.middleware.NoStoreMiddleware",
    # An expired session is signed out before anything else is decided about it.
    "kneadwell.accounts.middleware.SessionTimeoutMiddleware",
    "kneadwell.accounts.middleware.RequireMFAMiddleware",
]

ROOT_URLCONF = "kneadwell.urls"
WSGI_APPLICATION = "kneadwell.wsgi.application"

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
                "kneadwell.accounts.context_processors.kneadwell",
            ],
        },
    },
]

# Databases: SQLite in the data directory unless DATABASE_URL names another.
# SQLite runs writers in BEGIN IMMEDIATE so concurrent bookings queue instead of
# failing with "database is locked" (see docs/architecture.md); the audit trail's
# hash chain relies on it too (accounts/audit.py).
_default_sqlite = f"sqlite:///{DATA_DIR / 'kneadwell.sqlite3'}"
_database_url = os.environ.get("DATABASE_URL") or _default_sqlite
_is_postgres = _database_url.startswith(("postgres://", "postgresql://", "pgsql://"))
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        # PostgreSQL: keep connections between requests (a new one costs a few ms and a
        # backend process), checked before reuse so a restarted server is not an error.
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60 if _is_postgres else 0),
        conn_health_checks=envbool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
# SQLite durability (docs/operations.md): FULL (the default) syncs the write-ahead log at every commit,
# so a booking, a signed note or an audit row that was answered "done" survives a power cut; NORMAL
# syncs only at checkpoints (faster writes, never corrupt, but the last commits can be lost then).
SQLITE_SYNCHRONOUS = os.environ.get("KNEADWELL_SQLITE_SYNCHRONOUS", "FULL").upper()
if SQLITE_SYNCHRONOUS not in ("FULL", "NORMAL"):
    raise ImproperlyConfigured("KNEADWELL_SQLITE_SYNCHRONOUS must be FULL or NORMAL.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
        }
    )
    _sqlite_path = Path(str(DATABASES["default"]["NAME"]))
    if str(_sqlite_path) not in ("", ":memory:"):
        # SQLite would create the file world-readable (and its -wal/-shm files follow the
        # file's mode): create it empty, owner-only, in an owner-only directory, first.
        _private_dir(_sqlite_path.parent)
        _private_file(_sqlite_path)
elif DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must be a sqlite:// or postgres:// URL.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every app server (rate limits, sessions), so it lives in the database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kneadwell_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Common passwords dressed up ("Summer2024!"), runs, the product's name (offline; no breach API).
    {"NAME": "kneadwell.accounts.passwords.PredictablePasswordValidator"},
    # The demo clinic's published password, outside the demo.
    {"NAME": "kneadwell.accounts.passwords.DemoPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: username or e-mail + password, no self sign-up (accounts are
# made by the clinic), failed logins rate-limited, second factors: TOTP, security
# keys / passkeys (WebAuthn) and recovery codes.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "kneadwell.accounts.adapter.AccountAdapter"
# "key" is (login, client address) in our adapter: five wrong passwords lock that
# login out from that address only, not for everyone; 30 failures from one address
# (any logins) stop that address.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/5m/ip,5/5m/key"}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
MFA_ADAPTER = "kneadwell.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# WebAuthn needs HTTPS; the demo and tests run on plain http://127.0.0.1.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION
# allauth refuses a second factor to accounts with an unverified address, against
# someone who signs up with another person's address and then locks them out. There
# is no sign-up here (the clinic makes every account), and staff who must add a
# factor would otherwise be stuck.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Superusers, Django-admin staff and clinic admins need a second factor outside the demo;
# SecurityPolicy.clinician_mfa extends it to front desk and therapists.
KNEADWELL_REQUIRE_ADMIN_MFA = envbool("KNEADWELL_REQUIRE_ADMIN_MFA", not DEMO)
# The first value of SecurityPolicy.clinician_mfa (on). The test suite starts with it off
# so that tests about other things can sign in a therapist without an authenticator.
KNEADWELL_CLINICIAN_MFA_DEFAULT = envbool("KNEADWELL_CLINICIAN_MFA_DEFAULT", True)

# Reverse proxies whose X-Forwarded-For is believed (accounts/network.py): CIDRs.
KNEADWELL_TRUSTED_PROXIES = envlist("KNEADWELL_TRUSTED_PROXIES", [])
for _proxy in KNEADWELL_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"KNEADWELL_TRUSTED_PROXIES: {_proxy!r} is not an address or CIDR (e.g. 10.0.0.0/8)."
        ) from None

# Request bodies (kneadwell/serving.py): refused with 413 before they are read.
# The country a phone number without a leading + is read in (ISO 3166 alpha-2), for checking
# numbers as they are entered and for comparing them when looking for duplicate patients.
KNEADWELL_PHONE_REGION = os.environ.get("KNEADWELL_PHONE_REGION", "US").strip().upper()
if not (len(KNEADWELL_PHONE_REGION) == 2 and KNEADWELL_PHONE_REGION.isalpha()):
    raise ImproperlyConfigured(
        f"KNEADWELL_PHONE_REGION: {KNEADWELL_PHONE_REGION!r} is not a two-letter country code (e.g. US, GB)."
    )
KNEADWELL_MAX_REQUEST_BYTES = envint("KNEADWELL_MAX_REQUEST_MB", 12) * 1024 * 1024
KNEADWELL_MAX_ANONYMOUS_REQUEST_BYTES = envint("KNEADWELL_MAX_ANONYMOUS_REQUEST_KB", 64) * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/pico", BASE_DIR.parent.parent / "node_modules" / "@picocss" / "pico" / "css"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING or DEMO
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"
# Uploaded letters are patient data: owner-only on disk.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kneadwell@localhost")
# Seconds an SMTP (or provider) call may block: without it a hung server would hold a worker forever.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)

# An e-mail provider through django-anymail (EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend):
# its settings come from ANYMAIL_<NAME> variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN, or
# ANYMAIL_POSTMARK_SERVER_TOKEN_FILE for a Docker secret), never from a file the operator edits.
ANYMAIL = {
    name.removeprefix("ANYMAIL_").removesuffix("_FILE"): envsecret(name.removesuffix("_FILE"))
    for name in sorted(os.environ)
    if name.startswith("ANYMAIL_")
}

# Background tasks: django-tasks with the database backend; `kneadwell worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Messages to patients (notifications/). Retries back off exponentially from the base delay,
# capped; after the last attempt a message is `failed` and shows on the front desk's Today page.
KNEADWELL_NOTIFY_MAX_ATTEMPTS = envint("KNEADWELL_NOTIFY_MAX_ATTEMPTS", 6)
KNEADWELL_NOTIFY_RETRY_BASE_SECONDS = envint("KNEADWELL_NOTIFY_RETRY_BASE_SECONDS", 120)
KNEADWELL_NOTIFY_RETRY_CAP_SECONDS = envint("KNEADWELL_NOTIFY_RETRY_CAP_SECONDS", 3600)
# A send that has not finished this long after it started is taken to have died with its worker.
KNEADWELL_NOTIFY_LEASE_SECONDS = envint("KNEADWELL_NOTIFY_LEASE_SECONDS", 600)
# How often the worker schedules reminders and runs the watchdog.
KNEADWELL_NOTIFY_TICK_SECONDS = envint("KNEADWELL_NOTIFY_TICK_SECONDS", 60)
# The SMS provider: a class with `send(to=..., body=...)` (notifications/sms.py).
KNEADWELL_SMS_PROVIDER = os.environ.get(
    "KNEADWELL_SMS_PROVIDER", "kneadwell.notifications.sms.ConsoleSmsProvider"
)
# The address links in messages and calendar files point to (no trailing slash), e.g.
# https://clinic.example.org. Empty: messages carry no links.
KNEADWELL_PUBLIC_URL = os.environ.get("KNEADWELL_PUBLIC_URL", "").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", PRODUCTION)
# Session cookies end when the browser closes; the security policy's idle and absolute
# limits are enforced server-side by accounts.middleware.SessionTimeoutMiddleware
# (SESSION_COOKIE_AGE only bounds how long an abandoned session row is kept).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # pages carry the token (hx-headers); scripts never need the cookie
# Django's CSRF page, except under /api/: the JSON error envelope there.
CSRF_FAILURE_VIEW = "kneadwell.api.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# HTTPS only, remembered by browsers (HSTS), in production. Behind a TLS proxy, plain-HTTP
# requests are redirected; /healthz stays reachable over HTTP for load balancers.
SECURE_HSTS_SECONDS = envint("KNEADWELL_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("KNEADWELL_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("KNEADWELL_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION and BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# check --deploy warns whenever HSTS is on without `preload`. Preloading is a commitment
# for the whole domain (browsers' built-in lists, slow to undo) that a clinic makes
# deliberately with KNEADWELL_HSTS_PRELOAD=true, not a default.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content-Security-Policy (django-csp): scripts and styles from this site only, so
# no inline script, no injected <script> runs; images may be data: URIs (the CSS
# framework's icons, allauth's TOTP QR code); nothing may frame the site.
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

NINJA_PAGINATION_PER_PAGE = 50

# Instrument packs (docs/instrument-packs.md): the licensed questionnaire texts a clinic holds, one
# TOML file each, read from this folder beside the packs Kneadwell ships. A missing folder is no pack.
KNEADWELL_INSTRUMENT_PACK_DIR = Path(
    os.environ.get("KNEADWELL_INSTRUMENT_PACK_DIR") or DATA_DIR / "instrument-packs"
).resolve()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
