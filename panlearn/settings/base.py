"""Settings shared by every environment; each one an operator may change is read
from the environment and listed in docs/operator.md."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import cache_from_url, env_bool, env_int, env_list, env_str

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(env_str("PANLEARN_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "accounts",
    "facilities",
    "courses",
    "cells",
    "exercises",
    "runner",
    "content",
    "tracking",
    "onboarding",
    "invitations",
    "certificates",
    "useroffice",
    "oaipmh",
    "lti",
    "dashboards",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
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
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

# Sessions, signed-in users, code-cell run plans, kernel states and rate limits live in the cache.
# The default holds them in each web process's memory: right for one process (the demo). With several
# processes use a shared cache (panlearn.W001 says so): db://panlearn_cache (run createcachetable) or redis://.
CACHES = {"default": cache_from_url(env_str("DJANGO_CACHE_URL", "locmem://"))}

# The signed-in user's row comes from the cache (accounts/backends.py), dropped on every change.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CachedUserBackend",
    "django.contrib.auth.backends.ModelBackend",  # sessions made before the cached backend still resolve
]

# Django's hashers and settings; the PBKDF2 check runs in threads of lower CPU priority, so a class signing in
# at once does not slow the cells of those already at work (accounts/hashing.py). The nice value (0-19) of
# those threads: 0 hashes at the web's own priority.
PASSWORD_HASHERS = [
    "accounts.hashing.LowPriorityPBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
PANLEARN_PASSWORD_HASH_NICENESS = env_int("PANLEARN_PASSWORD_HASH_NICENESS", 10)
# A hash not started within this many seconds is withdrawn and the person asked to try again (503).
PANLEARN_PASSWORD_HASH_WAIT_SECONDS = env_int("PANLEARN_PASSWORD_HASH_WAIT_SECONDS", 45)

# Sessions read from the cache, written through to the database: no query per request to find who
# is signed in (code cells make many small requests).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "panlearn.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable
    # Cross-site cookies and frame-ancestors for a browser an LTI launch signed in, and for it only.
    "lti.middleware.LtiFrameMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # which device, if any, verified this session
    "accounts.middleware.StaffSecondFactorMiddleware",  # the admin asks for it (accounts/second_factor.py)
    "accounts.middleware.PasswordCheckBusyMiddleware",  # a password hash that waited too long: 503, said plainly
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
# The code-cell endpoints (/learn/cells/) are served by a lean handler (panlearn/asgi.py) with the
# same middleware in subclasses whose hooks run without a worker-thread trip each under ASGI.
PANLEARN_CELLS_MIDDLEWARE = [
    "panlearn.middleware.SecurityMiddleware",
    "panlearn.middleware.SessionMiddleware",
    "panlearn.middleware.CommonMiddleware",
    "panlearn.middleware.CsrfViewMiddleware",
    "panlearn.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # lazy: read only for a lesson's editors (cells.selectors)
    "panlearn.middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "panlearn.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

ASGI_APPLICATION = "panlearn.asgi.application"
WSGI_APPLICATION = "panlearn.wsgi.application"

# DATABASE_URL picks the database: SQLite by default, PostgreSQL in production.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=600,
        # A persistent connection is checked before the first query of each request or job: one that a
        # database restart broke is replaced there, instead of failing that request (or an RQ job).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the task worker and the runner's callers write at once. A transaction takes
    # the write lock when it begins (IMMEDIATE) and waits for it, instead of failing with "database
    # is locked" when it later tries to write; WAL lets readers go on while someone writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A pool of PostgreSQL connections per web process (psycopg_pool), for ASGI under load: a request's
# synchronous work runs in one of many threads, and each thread would keep a persistent connection of
# its own (CONN_MAX_AGE), so two web processes with 200 students open more than PostgreSQL's default
# 100 connections. With the pool, a process holds at most this many, and persistent connections are
# off. 0 (the default) keeps persistent connections: right for one process, and for RQ workers, which
# run one job at a time in their own process (panlearn/rq_worker.py).
PANLEARN_DB_POOL_MAX_SIZE = env_int("PANLEARN_DB_POOL_MAX_SIZE", 0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PANLEARN_DB_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # With health checks Django has psycopg_pool check every connection it hands out: a query per checkout,
    # and a request checks out several (each release_connections() hands one back). A connection that comes
    # back broken is discarded by the pool; one the database dropped while it sat idle fails its next query.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": PANLEARN_DB_POOL_MAX_SIZE,
        "timeout": 20,  # a request waits this long for a connection, then fails (a 500), as without the pool
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "courses:my_courses"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # The built-in LRS's documents (learners' State, profiles): private, outside MEDIA_ROOT, which a web
    # server serves to anyone.
    "xapi_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("PANLEARN_XAPI_DOCUMENTS_ROOT", str(VAR_DIR / "private" / "xapi-documents"))},
    },
}

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "panlearn <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)

# Background work: Django's tasks API. "database" (django-tasks-db) needs no extra service: the demo's
# and a one-machine site's. "rq" (django-tasks-rq) puts the queue on Redis at REDIS_URL, for workers on
# several machines (`manage.py rqworker --worker-class panlearn.rq_worker.Worker --job-class django_tasks_rq.Job
# --with-scheduler grading default`; panlearn/rq_worker.py says why that worker class).
PANLEARN_TASKS_BACKEND = env_str("PANLEARN_TASKS_BACKEND", "database")
# A Redis that does not answer fails a connection in 2 s rather than hanging the request that queues.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0?socket_connect_timeout=2")
# A student waits for a grade, so grades go ahead of deliveries, imports and invitations. On RQ they have a
# queue of their own, which workers name first (an RQ worker takes from its queues in the order given); the
# database worker takes higher priorities first (exercises.tasks.GRADING_PRIORITY), all on "default".
RQ_TASK_QUEUES = ["grading", "default"]
TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": RQ_TASK_QUEUES},
}
if PANLEARN_TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"PANLEARN_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}")
TASKS = {"default": TASK_BACKENDS[PANLEARN_TASKS_BACKEND]}
# A grade runs for minutes at most (the runner's own limits end it sooner): RQ's job timeout is a backstop.
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900} for name in RQ_TASK_QUEUES}
RQ_SHOW_ADMIN_LINK = False  # django-rq's link in Django's admin, which panlearn does not serve

WAGTAIL_SITE_NAME = env_str("PANLEARN_SITE_NAME", "panlearn")
WAGTAILADMIN_BASE_URL = env_str("PANLEARN_BASE_URL", "http://localhost:8000")
# No Gravatar: admin pages would send a hash of each user's email to a third party. Avatars are
# drawn from initials instead (accounts/avatars.py).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# The database backend uses SQLite FTS5 or PostgreSQL full-text search, by vendor.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "zip", "ipynb", "h5", "nxs", "dat"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # Page-by-page audit lines are in Wagtail's own log (admin → Reports); keep the console for problems.
    "loggers": {name: {"level": "WARNING"} for name in ("wagtail", "django_tasks", "django_tasks_db", "httpx")},
}

from accounts.conf import *  # app defaults, one prefixed module per app (accounts: PaN identity sign-in)
from cells.conf import *
from content.conf import *
from courses.conf import *
from invitations.conf import *
from lti.conf import *
from oaipmh.conf import *
from onboarding.conf import *
from runner.conf import *
from tracking.conf import *
from useroffice.conf import *
