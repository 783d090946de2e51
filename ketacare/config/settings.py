"""Settings, all from environment variables (see docs/configuration.md).

``KETACARE_ENV`` is ``development`` (default), ``test`` or ``production``. Production refuses to
start with DEBUG on, with the default secret key, or (checked at serve time) with a demo database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ketacare.audit.keys import DEVELOPMENT_KEY_ID, DEVELOPMENT_KEYRING, KeyringError, load_keyring

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("KETACARE_VAR_DIR", PROJECT_DIR / "var"))

DEVELOPMENT_SECRET_KEY = "ketacare-development-only-secret-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_seconds(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds, not {raw!r}")
    return int(raw)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else default


KETACARE_ENV = os.environ.get("KETACARE_ENV", "development")
if KETACARE_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("KETACARE_ENV must be development, test or production")
PRODUCTION = KETACARE_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else DEVELOPMENT_SECRET_KEY)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with DEBUG on.")
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production refuses to start without its own SECRET_KEY (at least 50 characters)."
        )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "ketacare.core",
    "ketacare.audit",
    "ketacare.clinic_settings",
    "ketacare.patients",
    "ketacare.alerts",
    "ketacare.assessments",
    "ketacare.treatment",
    "ketacare.sessions",
    "ketacare.pk",
    "ketacare.billing",
    "ketacare.scheduling",
    "ketacare.controlled_substances",
    "ketacare.directory",
    "ketacare.analytics",
    "ketacare.fhir",
    "ketacare.longterm",
    "ketacare.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A fresh cache of per-request reads (a clinic's protocol settings) for everything below.
    "ketacare.core.request_cache.RequestCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before IdleTimeoutMiddleware, which tells the signed-out user why with a message.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the idle timeout: a kiosk left idle ends at its locked screen, not the sign-in page.
    "ketacare.patients.middleware.KioskMiddleware",
    "ketacare.core.middleware.IdleTimeoutMiddleware",
    "ketacare.core.middleware.ClinicContextMiddleware",
    "ketacare.core.pages.DomainErrorMiddleware",
    # After DomainErrorMiddleware: sees a refusal first (process_exception runs bottom-up).
    "ketacare.audit.refusals.RefusalAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so that every middleware above also handles what these answer (CSP on their pages).
    "ketacare.core.request_guard.RequestGuardMiddleware",
    # The request's audited reads, appended in one transaction once the view has answered.
    "ketacare.audit.batch.AuditReadBatchMiddleware",
    # Innermost: one transaction around the view and the record of its answer.
    "ketacare.core.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "ketacare.config.urls"
WSGI_APPLICATION = "ketacare.config.wsgi.application"

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
                "ketacare.core.context_processors.clinic_context",
            ],
            # {% csrf_token %} also renders a one-time form token (double submits replay).
            "builtins": ["ketacare.core.templatetags.form_token"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Seconds a worker keeps its database connection between requests (checked before reuse): a
# request then pays no connect, and SQLite no re-reading of the schema and pragmas.
DB_CONN_MAX_AGE = env_seconds("DB_CONN_MAX_AGE", 600)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ketacare.sqlite3",
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL: readers never wait for the writer; a writer waits up to 20 s for another.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if KETACARE_ENV == "test":
    # Argon2 is deliberately slow; tests log in thousands of times. Production never uses this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading with the user what every request asks next (one query).
    "ketacare.core.auth_backend.UserBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection (django-axes with ketacare.core.lockout): failures count per account and
# client, waits grow from 30 s after the limit, doubling up to the cool-off; a browser that signed
# in before is never slowed down by anyone else's failures.
AXES_HANDLER = "ketacare.core.lockout.ProgressiveLockoutHandler"
AXES_LOCKOUT_CALLABLE = "ketacare.core.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "ketacare.core.lockout.client_address"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_HOURS = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_COOLOFF_TIME = AXES_COOLOFF_HOURS
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Staff sessions end after this much inactivity; patients' portal sessions too, more leniently.
STAFF_IDLE_TIMEOUT_SECONDS = int(os.environ.get("STAFF_IDLE_TIMEOUT_SECONDS", str(15 * 60)))
PATIENT_IDLE_TIMEOUT_SECONDS = int(os.environ.get("PATIENT_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
# A tablet in kiosk mode left this long returns to its locked screen (shorter than the above).
KIOSK_IDLE_TIMEOUT_SECONDS = int(os.environ.get("KIOSK_IDLE_TIMEOUT_SECONDS", str(10 * 60)))
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

OTP_TOTP_ISSUER = "Ketacare"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", PROJECT_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Ketacare <no-reply@localhost>")

# Links e-mailed to patients and staff (intake, questionnaires, invitations) are built on this
# origin: in development the address `make run` serves (its PORT), in production the public one.
PORT = os.environ.get("PORT", "8000")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or (
    "" if PRODUCTION else f"http://127.0.0.1:{PORT}"
)
if PRODUCTION:
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production refuses to start without ALLOWED_HOSTS.")
    if not PUBLIC_BASE_URL.startswith("https://"):
        raise ImproperlyConfigured(
            "Production refuses to start without PUBLIC_BASE_URL (https://…): links e-mailed "
            "to patients are built on it."
        )

# The audit trail: keyed seals (the keys never live in the database) and anchors written
# outside the database after every commit (docs/deployment.md, "Keep the audit trail honest").
try:
    AUDIT_KEYRING = load_keyring(
        os.environ.get("AUDIT_KEYS", ""), os.environ.get("AUDIT_KEYS_FILE", "")
    )
except KeyringError as error:
    raise ImproperlyConfigured(str(error)) from None
if PRODUCTION and (not AUDIT_KEYRING or DEVELOPMENT_KEY_ID in AUDIT_KEYRING):
    raise ImproperlyConfigured(
        "Production refuses to start without its own audit key: set AUDIT_KEYS or "
        "AUDIT_KEYS_FILE (id:secret, at least 32 characters)."
    )
AUDIT_KEYRING = AUDIT_KEYRING or DEVELOPMENT_KEYRING
AUDIT_ANCHOR_PATH = Path(os.environ.get("AUDIT_ANCHOR_PATH", VAR_DIR / "audit-anchors.jsonl"))
AUDIT_ANCHOR_FSYNC = env_bool("AUDIT_ANCHOR_FSYNC", False)
AUDIT_CHAIN_LANES = int(os.environ.get("AUDIT_CHAIN_LANES", "8"))

# The API's description (/api/v1/docs, /api/v1/openapi.json) for everyone, or only for staff
# signed in and API tokens (production's default: it maps every operation).
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", not PRODUCTION)

# Bodies larger than this are refused with 413 before they are read (request_guard.py); Django's
# own limit on form data is the same, so it never answers 400 first.
REQUEST_MAX_BYTES = int(float(os.environ.get("REQUEST_MAX_MB", "5")) * 1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES

# Read the client address from X-Forwarded-For only behind a proxy that overwrites it.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
INTAKE_LINK_TTL_HOURS = int(os.environ.get("INTAKE_LINK_TTL_HOURS", "72"))
# One-time links to set a password: staff invitations and patient portal activations.
STAFF_INVITATION_TTL_HOURS = int(os.environ.get("STAFF_INVITATION_TTL_HOURS", "72"))
PORTAL_INVITATION_TTL_HOURS = int(os.environ.get("PORTAL_INVITATION_TTL_HOURS", "168"))

# Text-message reminders: the console backend prints them; a provider adapter sends them.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "ketacare.scheduling.sms.ConsoleSmsBackend")
SMS_FROM_NUMBER = os.environ.get("SMS_FROM_NUMBER", "")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")

# Online card payment (ketacare.billing.card_gateway): "stripe", "fake" (a local stand-in for
# development and tests) or empty (off). Card numbers are typed on the provider's page only.
CARD_PAYMENTS = os.environ.get("CARD_PAYMENTS", "" if PRODUCTION else "fake")
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
if CARD_PAYMENTS not in ("", "stripe", "fake"):
    raise ImproperlyConfigured("CARD_PAYMENTS must be stripe, fake or empty")
if CARD_PAYMENTS == "fake" and PRODUCTION:
    raise ImproperlyConfigured("Production refuses the fake card gateway: use stripe or leave "
                               "CARD_PAYMENTS empty.")
if CARD_PAYMENTS == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured("CARD_PAYMENTS=stripe needs STRIPE_SECRET_KEY and "
                               "STRIPE_WEBHOOK_SECRET.")

# FHIR bulk export (ketacare.fhir.export): where its NDJSON files are written, how long they are
# kept, and whether the kick-off runs the job in a background thread (off: `ketacare fhir_export
# run` from a timer or queue worker runs queued jobs).
FHIR_EXPORT_DIR = Path(os.environ.get("FHIR_EXPORT_DIR", VAR_DIR / "fhir-exports"))
FHIR_EXPORT_TTL_HOURS = float(os.environ.get("FHIR_EXPORT_TTL_HOURS", "24"))
FHIR_EXPORT_IN_THREAD = env_bool("FHIR_EXPORT_IN_THREAD", True)

NINJA_PAGINATION_PER_PAGE = 25

# The public directory's consultation form: a signed token must be at least this old (seconds)
# when the form comes back, which stops bots that post at once.
DIRECTORY_FORM_MIN_SECONDS = int(os.environ.get("DIRECTORY_FORM_MIN_SECONDS", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
