"""Shared fixtures: organizations and users per role, scopes, Celery eager mode, a real worker and beat.

The whole demo (`seed_demo`) costs minutes: a test that needs it lives in tests/demo/ and requests `demo_seeded`
(tests/demo/conftest.py), which seeds it once per run and rolls each test's writes back. Never call `seed_demo` in
a test elsewhere; a test of one seeder runs that seeder on `scoped`, as tests/demo/test_shops.py does.

A data-migration test joins the one trip of tests/scrm/test_data_migrations.py: back once to the oldest state any
of them starts from, each migration's old rows written just before it on the way forward, and back to the latest
state in a `finally`, so a failing assertion does not leave an old schema to the next tests. A trip of its own
costs about a minute.
"""

import contextvars
import os

import pytest
from django.test.client import ClientHandler
from django.utils import translation
from django_scopes.state import state as scope_state

from scrm.celery import app as celery_app
from scrm.models import Role
from scrm.platform.roles import sync_all_role_permissions
from scrm.platform.tenancy import platform_scope, scope_is_open, tenant_scope
from tests.scrm.factories import OrganizationFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from that thread are still
# ordinary synchronous calls, so its async-safety guard must not refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _media_of_the_test(settings, tmp_path_factory):
    """Files the tests store (attachments, downloaded media) go to a folder of the run, never into the checkout's
    var/media of `make run`: beat's hourly sweep of orphaned attachments, run by the worker tests, deletes files
    that no row of the test database names."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _language_of_the_test():
    """Each test starts in the default language: a request in English (cookie or Accept-Language) leaves English
    active in the test's thread, and the next test would read its pages, messages and errors in it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are created by the dozen; the production hasher's cost would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def platform():
    """Run the test body in the platform scope (factories may create rows of any organization)."""
    with platform_scope():
        yield


@pytest.fixture(autouse=True)
def _requests_start_with_no_scope(monkeypatch):
    """A server thread starts every request with no tenant scope open, and the middleware asserts it. The test
    client runs the request in the test's own thread, where the test may hold a scope (`scoped`, `platform`): then
    the request runs in a copy of the context with none open, as on the server. With none held it runs as is, so a
    scope leaked by one request is seen by the next, as it would be on a server thread."""
    original = ClientHandler.__call__

    def call(handler, *args, **kwargs):
        if not scope_is_open():
            return original(handler, *args, **kwargs)

        def clean(*args, **kwargs):
            scope_state.set(None)
            return original(handler, *args, **kwargs)

        return contextvars.copy_context().run(clean, *args, **kwargs)

    monkeypatch.setattr(ClientHandler, "__call__", call)


@pytest.fixture
def organization(db):
    with platform_scope():
        return OrganizationFactory(slug="acme", name="艾克美电器")


@pytest.fixture
def scoped(organization):
    """Open the organization's scope for the test body, as a request or task would."""
    with tenant_scope(organization):
        yield organization


@pytest.fixture
def make_user(db):
    def make(organization, role, **kwargs):
        with platform_scope():
            return UserFactory(organization=organization, roles=[role], **kwargs)

    return make


@pytest.fixture
def ops_admin(organization, make_user):
    return make_user(organization, Role.OPS_ADMIN, username="ops-acme")


@pytest.fixture
def agent(organization, make_user):
    return make_user(organization, Role.AGENT, username="agent-acme")


# --- Celery: eager mode for view tests, a real worker for pipeline tests ---------------------------------------------


@pytest.fixture
def eager_tasks():
    """Run queued tasks in-process, at once (Celery's eager mode), and let their exceptions fail the test.

    Pair it with `django_capture_on_commit_callbacks(execute=True)`: tasks are queued on commit, and a test's
    transaction never commits.
    """
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (solo pool, in a thread of this process) consuming the Redis broker of the settings.

    The worker has its own database connection, so the test's data must be committed: hence `transactional_db`,
    which ends by truncating every table, role groups included; they are made again here for the test's users.
    """
    from celery.contrib.testing.worker import start_worker

    import scrm.tasks  # noqa: F401
    import tickets.tasks  # noqa: F401 - registers the tasks with the app

    sync_all_role_permissions()
    # Messages left by an earlier, interrupted run would name rows of another database's life.
    celery_app.control.purge()
    # Both queues (settings: "celery", and "jobs" for imports and exports), as a worker started without -Q.
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30,
                      queues=["celery", "jobs"]) as worker:
        yield worker


@pytest.fixture
def celery_beat(celery_worker, tmp_path):
    """Celery beat (in a thread of this process) sending the settings' CELERY_BEAT_SCHEDULE to the real worker,
    every entry's interval shortened to one second so a test need not wait for the production period."""
    import threading

    from celery.beat import Service

    previous = celery_app.conf.beat_schedule
    celery_app.conf.beat_schedule = {name: {**entry, "schedule": 1.0} for name, entry in previous.items()}
    service = Service(app=celery_app, max_interval=0.5, schedule_filename=str(tmp_path / "celerybeat-schedule"))
    thread = threading.Thread(target=service.start, name="celery-beat", daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.stop()
        thread.join(timeout=10)
        celery_app.conf.beat_schedule = previous
