"""SCRM settings: one module, every value from the environment.

PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) everywhere: on a developer's machine `make run` and `make test` settle
both through scripts/local_services.py (the machine's own servers, or private ones under var/) and `make run` writes
them into `.env`; production sets its own. See .env.example for every variable.
"""

import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state of a developer's machine: the private PostgreSQL and Valkey of `make run`, uploaded media, beat's file.
VAR_DIR = Path(env("SCRM_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# A development key is only acceptable when DEBUG is on; production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-key-do-not-use-in-production" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    # Before django.contrib.auth: its createsuperuser runs in the platform scope (a platform operator has none).
    "scrm",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_scopes",
    "guardian",
    # django-axes under a name the admin translates (its own AppConfig reads "Axes").
    "scrm.platform.apps.AxesConfig",
    "csp",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "captcha",
    "forms_builder",
    "notifications",
    "tickets",
    "sla",
    "settlement",
    "channels_ingest",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The platforms' callbacks (/hooks/) skip everything below: see the class.
    "scrm.platform.middleware.CallbackFastPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "scrm.platform.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scrm.platform.middleware.TenantScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The first page after signing in with a `next` the user's role may not open: home, with a message.
    "scrm.platform.middleware.SignInLandingMiddleware",
    # A fragment htmx loads after the session expired reloads the page at sign-in rather than showing it inside.
    "scrm.platform.middleware.HtmxSignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scrm.urls"
WSGI_APPLICATION = "scrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "scrm.context_processors.shell",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------------------------------
def _required(name):
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name}: `make run` writes it into .env on a developer's machine; production sets its own.")
    return value


DATABASES = {"default": env.db_url_config(_required("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _required("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- Celery (configured from here through the CELERY_ namespace) ------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # max_retries/interval_*: a publish from a web request gives up on an unreachable broker in milliseconds instead
    # of seconds (WeChat waits 5 s for a callback's answer; the stored event is re-enqueued by the beat later).
    # Celery's own publish retry policy (task_publish_retry) still applies on top for ordinary .delay() calls.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 1, "interval_start": 0,
                                       "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# SLA sweeps started side by side every 30 s (bench/scenarios/sla_sweep.py: 10,000 due tickets take about 7 s with
# one sweep and under 5 s with two, on two cores).
SLA_SWEEPS = env.int("SLA_SWEEPS", default=2)
# Queues: "celery" (the default) carries ingestion, replies, media and notifications; "jobs" carries customer imports
# and exports, which take minutes. Run one worker per queue (Procfile.dev, docker-compose.yml), so a heavy import never
# delays ingestion; a worker started without -Q consumes "celery" only (docs/outbox.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BEAT_SCHEDULE = {
    "scrm-heartbeat": {"task": "scrm.tasks.worker_heartbeat", "schedule": 60.0},
    # The one outbox (scrm.platform.outbox): every kind's rows whose retry is due, whose lease expired, or whose
    # published id was lost.
    "scrm-outbox-sweep": {"task": "scrm.tasks.outbox_sweep", "schedule": 10.0},
    "scrm-customer-exports-expire": {"task": "scrm.tasks.customer_exports_expire", "schedule": 3600.0},
    "scrm-customer-files-orphans": {"task": "scrm.tasks.customer_files_orphans_delete", "schedule": 3600.0},
    "sla-sweep": {"task": "sla.tasks.sla_sweep_start", "schedule": 30.0},
    # Attachment files whose row was rolled back with its transaction.
    "tickets-attachment-orphans": {"task": "tickets.tasks.attachment_orphans_delete", "schedule": 3600.0},
    # The agents' load counters checked against their tickets, at night (a drift is repaired and logged).
    "tickets-agent-loads-recount": {"task": "tickets.tasks.agent_loads_recount",
                                    "schedule": crontab(hour=4, minute=10)},
    # The public forms' captcha pictures nobody answered in time.
    "forms-captchas-expired": {"task": "forms_builder.tasks.captchas_expired_delete", "schedule": 3600.0},
    # Statement files dropped in STATEMENT_DROP_DIR (<dir>/<organization slug>/<channel code>/...): imported.
    "settlement-statement-folder": {"task": "settlement.tasks.statement_folder_sweep", "schedule": 60.0},
    # Partner statements of the periods that ended yesterday (one run per period: hourly is idempotent).
    "settlement-cycles": {"task": "settlement.partner_tasks.settlement_cycles_start", "schedule": 3600.0},
    # The finance dashboard's rollup: the days changed since recomputed (a dashboard read does it too).
    "settlement-finance-days": {"task": "settlement.partner_tasks.finance_days_refresh", "schedule": 60.0},
}
# Where payment channel statements may be dropped for import: <dir>/<organization slug>/<channel code>/*.csv|zip|xlsx;
# each file is moved to done/ (accepted: its import page says the rest) or failed/ (refused, with a .txt saying why)
# beside it. Empty: no folder is watched.
STATEMENT_DROP_DIR = env("STATEMENT_DROP_DIR", default="")

# --- Channels (WeChat) --------------------------------------------------------------------------------------------
# Channel secrets (tokens, EncodingAESKeys, app secrets) are encrypted at rest with this key; a comma-separated list
# rotates keys (the first encrypts, all decrypt). Unset, a DEBUG (development/test) process derives one from
# SECRET_KEY; anywhere else it stays empty and storing or reading a channel secret fails loudly.
# Percentage points a region's monthly refund rate or service margin may move against its trailing average before
# the finance dashboard flags it and finance is notified.
SETTLEMENT_ALERT_THRESHOLD_POINTS = env.float("SETTLEMENT_ALERT_THRESHOLD_POINTS", default=5.0)
# The TrueType font embedded in partner statement PDFs: it must cover Chinese. Debian's fonts-droid-fallback by default
# (.ci/run and the Dockerfile install it); missing, the PDF link answers why instead of a PDF.
SETTLEMENT_PDF_FONT = env("SETTLEMENT_PDF_FONT", default="/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default=f"dev-field-key:{SECRET_KEY}" if DEBUG else "")
# WeChat's API roots; tests and the benchmark point them at a local fake server.
WECHAT_API_BASE_URL = env("WECHAT_API_BASE_URL", default="https://api.weixin.qq.com/cgi-bin/")
WECOM_API_BASE_URL = env("WECOM_API_BASE_URL", default="https://qyapi.weixin.qq.com/cgi-bin/")
# The Douyin shop (抖店) open API: order details the pushes do not carry (tests point it at a local fake).
DOUYIN_API_BASE_URL = env("DOUYIN_API_BASE_URL", default="https://openapi-fxg.jinritemai.com")

# --- Authentication and access ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "scrm.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "scrm.auth.ScrmModelBackend",  # reads users through User.all_objects: no organization is known at sign-in
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scrm:home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies of ours in front of gunicorn (0: none, REMOTE_ADDR is the client). Read by the one client-address
# helper, which axes (lockouts) and the public forms (budget per address) both use.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "scrm.platform.http.client_ip"

# --- Internationalisation: Chinese first, English selectable ----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# A filter left empty reads "全部" (All), not django-filter's "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("All")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# A time reads 2026-12-05 05:29 in either language wherever a template leaves it to the locale (scrm/formats/).
FORMAT_MODULE_PATH = ["scrm.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (all on unless DEBUG; each can be set explicitly) -------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- API --------------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call gets 401 with `WWW-Authenticate: Token`.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SCRM API",
    "DESCRIPTION": "Organization-scoped REST API of SCRM. Authenticate with a session or `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for the organization's own developers: signed-in users (session or token) only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "scrm.models.customers.Channel",
        "CustomerLevelEnum": "scrm.models.customers.Customer.Level",
        "RegionLevelEnum": "scrm.models.people.Region.Level",
        # Three models have a "status": each its own enum name in the schema.
        "TicketStatusEnum": "tickets.models.core.Ticket.Status",
        "OrderStatusEnum": "settlement.models.Order.Status",
        "RefundStatusEnum": "settlement.models.Refund.Status",
    },
    # Swagger UI from package.json (static/vendor), never a CDN: the CSP allows only our own origin.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
}

# Our own layer over the library's Bootstrap 5 template: a pager labelled in the reader's language.
DJANGO_TABLES2_TEMPLATE = "scrm/table.html"

# --- Logging: structured, never secrets -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line passes through the one redaction step (URL query strings, a callback's signature among them,
    # secret-named values, the platform's own secrets); urllib3 prints each URL it calls at DEBUG: kept quiet.
    "filters": {"redact": {"()": "scrm.platform.redaction.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}",
                          "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        # runserver's request lines (make run), as Django logs them, through the same step.
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# The demo organization seed_demo creates; make run prints its logins.
DEMO_PASSWORD = env("DEMO_PASSWORD", default="scrm-demo-2026")

# --- Email and notifications ------------------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587/?tls=True, or consolemail:// (the default: mail is printed by the worker).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SCRM <noreply@scrm.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Where people reach the site from outside: links in emails, notifications and the customers' satisfaction links.
# `make run` sets it to its own address; production must say where it is served (https://scrm.example.com).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", PUBLIC_BASE_URL):
    raise ImproperlyConfigured(
        "Set PUBLIC_BASE_URL to the address people reach SCRM at, such as https://scrm.example.com: links in emails "
        "and the customers' satisfaction messages are built from it.")
# Outbox deliveries (email, later WeCom and SMS): attempts before a delivery is dead, and the back-off between them
# (base * 2^(attempt-1) seconds, capped).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=30)
NOTIFY_RETRY_MAX_SECONDS = env.int("NOTIFY_RETRY_MAX_SECONDS", default=3600)
# How often the notification bell asks for the unread count.
NOTIFY_BELL_POLL_SECONDS = env.int("NOTIFY_BELL_POLL_SECONDS", default=30)
# How often the supervisor board refreshes its figures (the browser tests make it short).
TICKETS_BOARD_POLL_SECONDS = env.int("TICKETS_BOARD_POLL_SECONDS", default=15)

# --- SLA escalation channels (notifications.senders): off until configured -------------------------------------------
# WeCom (企业微信) application messages to staff; the user's WeCom userid is read from WECOM_USERID_FIELD.
WECOM_CORP_ID = env("WECOM_CORP_ID", default="")
WECOM_SECRET = env("WECOM_SECRET", default="")
WECOM_AGENT_ID = env.int("WECOM_AGENT_ID", default=0)
WECOM_USERID_FIELD = env("WECOM_USERID_FIELD", default="username")
# SMS to staff mobiles: SMS_PROVIDER "aliyun" (SendSms with a template whose variable is ${content}) or empty.
SMS_PROVIDER = env("SMS_PROVIDER", default="")
ALIYUN_SMS_ACCESS_KEY_ID = env("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env("ALIYUN_SMS_SIGN_NAME", default="")
ALIYUN_SMS_TEMPLATE_CODE = env("ALIYUN_SMS_TEMPLATE_CODE", default="")
ALIYUN_SMS_ENDPOINT = env("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")

# --- Ticket attachments ----------------------------------------------------------------------------------------------
# Checked on the file's bytes (its name and the sender's content type are not trusted).
TICKET_ATTACHMENT_MAX_BYTES = env.int("TICKET_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_ATTACHMENT_MAX_FILES = env.int("TICKET_ATTACHMENT_MAX_FILES", default=10)
TICKET_ATTACHMENT_TYPES = env.list("TICKET_ATTACHMENT_TYPES", default=[
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
    "application/pdf", "text/plain", "text/csv",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "audio/mpeg", "audio/wav", "audio/amr", "audio/silk", "audio/ogg", "audio/mp4",
    "video/mp4", "video/quicktime",
])

# --- Satisfaction surveys ------------------------------------------------------------------------------------------
# How long a customer's rating link stays valid, and the rating under which a QA review ticket is opened.
SATISFACTION_SURVEY_DAYS = env.int("SATISFACTION_SURVEY_DAYS", default=7)
SATISFACTION_REVIEW_BELOW = env.int("SATISFACTION_REVIEW_BELOW", default=3)

# --- Public forms (forms_builder) -------------------------------------------------------------------------------------
# The captcha a form may ask for (django-simple-captcha: pictures made here, answers in our database, one try each):
# minutes a picture stays answerable, so a long form can still be sent.
CAPTCHA_TIMEOUT = env.int("CAPTCHA_TIMEOUT", default=20)
# Days a signed form link sent to a customer (?wx=...) links their submission to them.
FORMS_IDENTITY_MAX_AGE_DAYS = env.int("FORMS_IDENTITY_MAX_AGE_DAYS", default=7)
# A form's webhook: attempts, and the first retry's delay (then × 4 each time, at most an hour).
FORMS_WEBHOOK_MAX_ATTEMPTS = env.int("FORMS_WEBHOOK_MAX_ATTEMPTS", default=6)
FORMS_WEBHOOK_RETRY_BASE_SECONDS = env.int("FORMS_WEBHOOK_RETRY_BASE_SECONDS", default=30)
# URLs our users give us to call (a form's webhook) may reach only public internet addresses, never this machine or
# our network (scrm.platform.http.outbound_url_check). True only for tests and local development with fake receivers
# on 127.0.0.1; never in production.
OUTBOUND_PRIVATE_HOSTS_ALLOWED = env.bool("OUTBOUND_PRIVATE_HOSTS_ALLOWED", default=False)
