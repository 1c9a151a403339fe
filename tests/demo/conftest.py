"""The demo organization seeded once for the demo tests that read it.

`seed_demo` takes minutes on a loaded machine (a week of statements imported and reconciled day by day, 300 tickets
worked through the services, three months of partner statements). The tests that need the whole demo request
`demo_seeded`: the first of them seeds it inside a transaction opened for the rest of this package, each test then
runs in a savepoint of that transaction (pytest-django's `db`) rolled back when it ends, and the package's last test
rolls the seed back too. So every such test starts from the same freshly seeded demo, whatever the test before it
wrote, and nothing of the demo is ever committed to the test database the other packages use.

Rules this needs, checked below: a test that does not request `demo_seeded` runs before the first one that does
(the collection is ordered so, within this package); a test on the seeded demo uses the `db` fixture (the
`django_db` mark), never `transactional_db` or `live_server`, whose data must be committed. A browser test that needs
the demo seeds its own.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from scrm.models import Organization

HERE = Path(__file__).resolve().parent
FIXTURE = "demo_seeded"


class _Seed:
    """The open transaction holding the seeded demo (one per package run), and its media folder."""

    atomic = None
    media = None
    after_commit = ()  # what the seed left to run once it commits (it never does here)


def _uses_seed(item):
    return FIXTURE in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    """Within this package, the tests on the seeded demo after the others (pytest-django has already put the
    database tests first; the demo's slots keep their places, only their order inside changes)."""
    slots = [i for i, item in enumerate(items) if HERE in Path(str(item.path)).parents]
    ordered = sorted((items[i] for i in slots), key=_uses_seed)
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item


@pytest.fixture(scope="package")
def demo_seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo organization as `seed_demo` leaves it on an empty database (see the module docstring)."""
    media = tmp_path_factory.mktemp("demo-media")
    # As the function fixtures of tests/conftest.py do for each test: files out of the checkout, cheap hashing.
    with override_settings(MEDIA_ROOT=str(media),
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                call_command("seed_demo", stdout=io.StringIO())
                organization = Organization.objects.get(slug="demo")
                after_commit = [func for _savepoints, func, _robust in connection.run_on_commit]
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        _Seed.atomic, _Seed.media, _Seed.after_commit = atomic, media, after_commit
        try:
            yield organization
        finally:
            _Seed.atomic = _Seed.media = None
            _Seed.after_commit = ()
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)


@pytest.fixture
def demo_after_commit(demo_seeded):
    """The callables `seed_demo` handed to `transaction.on_commit` (the replies it leaves for the channels' outboxes,
    say): the seed's transaction never commits here, so a test runs the ones it is about."""
    return list(_Seed.after_commit)


@pytest.fixture(autouse=True)
def _media_of_the_test(request, settings, tmp_path_factory):
    """Overrides tests/conftest.py's: a test on the seeded demo gets its own copy of the files the seed stored (it
    may read them, and what it writes stays its own); the others an empty folder, as everywhere."""
    if _uses_seed(request.node) and _Seed.media is not None:
        copy = tmp_path_factory.mktemp("media") / "media"
        shutil.copytree(_Seed.media, copy)
        settings.MEDIA_ROOT = str(copy)
    else:
        settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _seeded_demo_only_where_asked(request):
    """Fail loudly instead of letting a test see a demo it did not ask for, or one its database cannot show."""
    if not _uses_seed(request.node):
        if _Seed.atomic is not None:
            pytest.fail("this test runs while the seeded demo is open: request `demo_seeded` or let it run earlier")
        return
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        pytest.fail("the seeded demo lives in an open transaction: use the `db` fixture, not a transactional one")
