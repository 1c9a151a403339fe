"""The data migrations keep every old row: the database goes back once to the oldest state they start from, each
migration's old-shape rows are written just before it runs, and forward again to the latest state.

One trip serves all of them: going back and forward through some sixty migrations cost about a minute, once per
test, when each test made its own. The trip runs in a module fixture that records what the tests assert on (the
rows are flushed after the first transactional test); it ends at the latest state, in a `finally`, so a failure
does not leave an old schema to the next tests.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from guardian.models import UserObjectPermission

from scrm.models import AgentProfile, RegionUserObjectPermission, Role, Skill
from scrm.models.people import AgentProfileRegion, AgentProfileSkill
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import region_managers
from tests.scrm.test_region_managers import _visible_customers, seed_regions
from tests.tenancy import tenant_pair

BEFORE_THROUGH_MODELS = [("tickets", "0001_squashed_0014_notificationdelivery_outbox"),
                         ("scrm", "0011_organization_status_changes")]
BEFORE_FILES = [("scrm", "0013_customertag_unique_leads_with_organization")]
FILES = [("scrm", "0014_customer_files_in_storage")]
BEFORE_REGION_GRANTS = [("scrm", "0015_user_is_a_tenant_model")]

WORKBOOK = b"PK\x03\x04 a workbook's bytes"
EXPORT = b"name,mobile\n"


def _migrate(targets):
    """A fresh executor each time: one that has migrated holds a loader of the state before."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _write_through_rows(a, b):
    """Rows of the plain many-to-manys, which have no organization yet."""
    with tenant_scope(a.organization):
        skill = Skill.objects.create(organization=a.organization, name="空调")
        profile = AgentProfile.objects.create(organization=a.organization, user=a.users[Role.AGENT])
    with tenant_scope(b.organization):
        skill_b = Skill.objects.create(organization=b.organization, name="冰箱")
        profile_b = AgentProfile.objects.create(organization=b.organization, user=b.users[Role.AGENT])
    rows = SimpleNamespace(region=a.objects["east"], skill=skill, profile=profile, skill_b=skill_b,
                           profile_b=profile_b)
    _migrate(BEFORE_THROUGH_MODELS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'scrm_agentprofile_skills'")
        rows.old_columns = {row[0] for row in cursor.fetchall()}
        cursor.execute("INSERT INTO scrm_agentprofile_regions (agentprofile_id, region_id) VALUES (%s, %s)",
                       [profile.pk, rows.region.pk])
        cursor.execute("INSERT INTO scrm_agentprofile_skills (agentprofile_id, skill_id) VALUES (%s, %s), "
                       "(%s, %s)", [profile.pk, skill.pk, profile_b.pk, skill_b.pk])
    return rows


def _read(media, name):
    return (media / name).read_bytes() if name else None  # a row left behind names no file


def _blobs_there_and_back(organization, ops_admin, media):
    """Store one import and one export as blobs, forward through the files migration alone and back."""
    old = _migrate(BEFORE_FILES)
    Import, Export = old.get_model("scrm", "CustomerImport"), old.get_model("scrm", "CustomerExport")
    batch = Import._base_manager.create(
        organization_id=organization.pk, file_name="客户.xlsx", file_kind="xlsx", file_sha256="0" * 64,
        file_size=len(WORKBOOK), content=WORKBOOK, created_by_id=ops_admin.pk, status="uploaded")
    export = Export._base_manager.create(
        organization_id=organization.pk, requested_by_id=ops_admin.pk, file_format="csv", status="done",
        file_name="customers.csv", content=EXPORT)
    emptied = Import._base_manager.create(
        organization_id=organization.pk, file_name="done.csv", file_kind="csv", file_sha256="1" * 64,
        file_size=3, content=b"", created_by_id=ops_admin.pk, status="applied")

    new = _migrate(FILES)
    Import, Export = new.get_model("scrm", "CustomerImport"), new.get_model("scrm", "CustomerExport")
    seen = SimpleNamespace(organization=organization)
    seen.import_name = Import._base_manager.get(pk=batch.pk).file.name
    seen.import_bytes = _read(media, seen.import_name)
    seen.export_name = Export._base_manager.get(pk=export.pk).file.name
    seen.export_bytes = _read(media, seen.export_name)
    seen.emptied_name = Import._base_manager.get(pk=emptied.pk).file.name
    seen.columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                                   Import._meta.db_table)}

    Import = _migrate(BEFORE_FILES).get_model("scrm", "CustomerImport")
    seen.restored = bytes(Import._base_manager.get(pk=batch.pk).content)
    return seen


def _write_region_grants(a, b):
    """Region grants in guardian's generic table, as they were before the direct foreign keys."""
    _migrate(BEFORE_REGION_GRANTS)
    region_type = ContentType.objects.get_by_natural_key("scrm", "region")
    manage = Permission.objects.get(content_type=region_type, codename="manage_region")
    grants = [(a.users[Role.SUPERVISOR].pk, a.objects["south"].pk), (a.users[Role.SUPERVISOR].pk,
              a.objects["east"].pk), (b.users[Role.SUPERVISOR].pk, b.objects["gd"].pk),
              (a.users[Role.SUPERVISOR].pk, 999999)]  # the last: a region deleted since
    with connection.cursor() as cursor:
        for user_id, region_id in grants:
            cursor.execute("INSERT INTO guardian_userobjectpermission (user_id, permission_id, content_type_id, "
                           "object_pk) VALUES (%s, %s, %s, %s)", [user_id, manage.pk, region_type.pk,
                                                                  str(region_id)])


@pytest.fixture(scope="module")
def trip(django_db_setup, django_db_blocker, tmp_path_factory):
    """Migrate back to the oldest state, write each migration's old rows on the way forward, end at the latest
    state; record what the tests assert on, since the rows do not outlive the first test."""
    media = tmp_path_factory.mktemp("media")
    # The autouse fixtures of tests/conftest.py are per test: their settings are made here for the module.
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=hashers):
        latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
        try:
            a, b = tenant_pair(seed_regions)
            through = _write_through_rows(a, b)
            files = _blobs_there_and_back(a.organization, a.users[Role.OPS_ADMIN], media)
            _write_region_grants(a, b)
        finally:
            _migrate(latest)

        with platform_scope():
            through.regions = list(AgentProfileRegion.objects.values_list(
                "organization_id", "agentprofile_id", "region_id"))
            through.skills = sorted(AgentProfileSkill.objects.values_list(
                "organization_id", "agentprofile_id", "skill_id"))
            grants = SimpleNamespace(rows=sorted(RegionUserObjectPermission.objects.values_list(
                "organization_id", "user_id", "content_object_id")))
        with tenant_scope(b.organization):
            through.skills_of_b = list(AgentProfile.objects.get(pk=through.profile_b.pk).skills.all())
        grants.left_in_generic_table = UserObjectPermission.objects.filter(content_type__model="region").exists()
        with tenant_scope(a.organization):
            grants.visible_to_a = _visible_customers(a.users[Role.SUPERVISOR])
        with tenant_scope(b.organization):
            grants.managers_of_b = region_managers(region=b.objects["gd"])
        yield SimpleNamespace(a=a, b=b, through=through, files=files, grants=grants)


@pytest.mark.django_db(transaction=True)
def test_the_migration_to_through_models_keeps_every_row_and_gives_it_its_organization(trip):
    """Rows of the plain many-to-manys are kept, each with the organization of its source row."""
    a, b, rows = trip.a, trip.b, trip.through
    assert "organization_id" not in rows.old_columns  # the rows were written to the old shape
    assert rows.regions == [(a.organization.pk, rows.profile.pk, rows.region.pk)]
    assert rows.skills == [(a.organization.pk, rows.profile.pk, rows.skill.pk),
                           (b.organization.pk, rows.profile_b.pk, rows.skill_b.pk)]
    assert rows.skills_of_b == [rows.skill_b]


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_stored_blob_into_a_file(trip):
    """Each blob is a file with the same bytes, under its organization, and the columns are gone. Migrating back
    restores the bytes."""
    seen = trip.files
    organization = seen.organization
    assert seen.import_name.startswith(f"imports/{organization.pk}/") and seen.import_name.endswith(".xlsx")
    assert seen.import_bytes == WORKBOOK
    assert seen.export_name.startswith(f"exports/{organization.pk}/") and seen.export_name.endswith(".csv")
    assert seen.export_bytes == EXPORT
    assert seen.emptied_name == ""
    assert "content" not in seen.columns and "file" in seen.columns
    assert seen.restored == WORKBOOK


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_region_grant_of_the_generic_table_with_its_organization(trip):
    a, b, grants = trip.a, trip.b, trip.grants
    supervisor_a, supervisor_b = a.users[Role.SUPERVISOR], b.users[Role.SUPERVISOR]
    assert grants.rows == sorted([(a.organization.pk, supervisor_a.pk, a.objects["south"].pk),
                                  (a.organization.pk, supervisor_a.pk, a.objects["east"].pk),
                                  (b.organization.pk, supervisor_b.pk, b.objects["gd"].pk)])
    assert not grants.left_in_generic_table
    assert grants.visible_to_a == {f"{a.marker} GD", f"{a.marker} EAST"}
    assert grants.managers_of_b == [supervisor_b]
