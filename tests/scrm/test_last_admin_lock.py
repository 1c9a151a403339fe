"""The last-ops-admin rule under concurrency: two admins demoting each other at once leave one admin (never a
deadlock), and the check takes no lock another organization's admins would wait on (the `ops_admin` group row is
shared by every organization)."""

import threading

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from scrm.models import Role, User
from scrm.platform.tenancy import platform_scope
from scrm.services import MSG_LAST_ADMIN, user_set_active, user_update
from tests.concurrency import run_at_once
from tests.scrm.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _two_admins(slug):
    with platform_scope():
        org = OrganizationFactory(slug=slug)
        return org, [UserFactory(organization=org, username=f"{slug}-ops{n}", roles=[Role.OPS_ADMIN])
                     for n in (1, 2)]


def _active_admins(org):
    with platform_scope():
        return User.objects.filter(organization=org, is_active=True, groups__name=Role.OPS_ADMIN).count()


def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    org, (first, second) = _two_admins("race")

    def demote(by, user):
        try:
            user_update(organization=org, by=by, user=user, display_name="运营", roles=[Role.SUPERVISOR])
        except ValidationError as exc:
            return exc.messages
        return "done"

    results = run_at_once([lambda: demote(first, second), lambda: demote(second, first)])
    # Whichever went second found the other already demoted and was refused: exactly one admin is left.
    assert results in (["done", [str(MSG_LAST_ADMIN % {"name": first})]],
                       [[str(MSG_LAST_ADMIN % {"name": second})], "done"])
    assert _active_admins(org) == 1


def test_an_admin_change_waits_on_no_lock_of_another_organization():
    org, (first, second) = _two_admins("alone")
    held, release, outcome = threading.Event(), threading.Event(), {}

    def another_organization_holds_the_shared_group_row():
        # What the former check did in another organization's transaction: FOR UPDATE over the join to the groups.
        try:
            with transaction.atomic():
                Group.objects.select_for_update().get(name=Role.OPS_ADMIN)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=another_organization_holds_the_shared_group_row)
    other.start()
    try:
        assert held.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            user_set_active(organization=org, by=first, user=second, active=False)
            outcome["done"] = True
    finally:
        release.set()
        other.join(30)
    assert outcome == {"done": True}
    assert _active_admins(org) == 1
