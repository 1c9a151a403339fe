"""Background jobs are outbox rows: one whose task was lost (the broker was down when it was asked for) is taken again
by the outbox's sweeper, a running one only once its lease has expired; they run on their own queue; and export
files holding personal data are deleted a week after they were produced."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from scrm.customers import exports
from scrm.customers.imports import customer_import_upload
from scrm.customers.jobs import JOB_LEASE, ORPHAN_GRACE, customer_exports_expire, customer_files_orphans_delete
from scrm.models import Customer, CustomerExport, CustomerImport, Role
from scrm.platform import outbox
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.scrm.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

CSV = "姓名,手机\n张三,13812345678\n李四,13912345678\n".encode()


def _swept():
    """The beat's outbox sweep; the jobs it takes run at once when the test runs tasks eagerly."""
    return outbox.sweep()


class eager:  # noqa: N801 - a context manager named like the fixture it stands for
    def __enter__(self):
        from scrm.celery import app

        self.previous, app.conf.task_always_eager = app.conf.task_always_eager, True

    def __exit__(self, *exc):
        from scrm.celery import app

        app.conf.task_always_eager = self.previous


def _lost(django_capture_on_commit_callbacks, start):
    """Ask for a job while the broker is unreachable: its task never leaves (the on-commit enqueue is dropped)."""
    with django_capture_on_commit_callbacks(execute=False) as dropped:
        job = start()
    assert len(dropped) == 1
    return job


def test_an_upload_whose_task_was_lost_is_checked_after_the_next_sweep(
        scoped, ops_admin, eager_tasks, django_capture_on_commit_callbacks):
    batch = _lost(django_capture_on_commit_callbacks, lambda: customer_import_upload(
        organization=scoped, user=ops_admin, file=SimpleUploadedFile("客户.csv", CSV)))

    with django_capture_on_commit_callbacks(execute=True):
        assert _swept()["customer_import"] == 0  # just uploaded: its task may be coming
    batch.refresh_from_db()
    assert batch.status == CustomerImport.Status.UPLOADED

    with time_machine.travel(timezone.now() + timedelta(minutes=3)), \
            django_capture_on_commit_callbacks(execute=True):
        assert _swept()["customer_import"] == 1
    batch.refresh_from_db()
    assert (batch.status, batch.new_count) == (CustomerImport.Status.VALIDATED, 2)
    assert not Customer.objects.exists()  # checked, not applied: applying still waits for the user's confirmation


def test_finished_and_cancelled_imports_are_left_alone(scoped, ops_admin, django_capture_on_commit_callbacks):
    batch = _lost(django_capture_on_commit_callbacks, lambda: customer_import_upload(
        organization=scoped, user=ops_admin, file=SimpleUploadedFile("客户.csv", CSV)))
    CustomerImport.objects.filter(pk=batch.pk).update(status=CustomerImport.Status.CANCELLED)
    with time_machine.travel(timezone.now() + timedelta(hours=1)), \
            django_capture_on_commit_callbacks(execute=True), eager():
        assert _swept()["customer_import"] == 1  # taken, and found with nothing left to do
    batch.refresh_from_db()
    assert (batch.status, batch.job_state) == (CustomerImport.Status.CANCELLED, "done")


def _export(user):
    with tenant_scope(user.organization_id):
        customers = exports.customer_export_queryset(user=user)
        return exports.customer_export_start(user=user, file_format="csv", customers=customers)


def test_an_export_whose_task_was_lost_is_produced_after_the_next_sweep(
        scoped, ops_admin, eager_tasks, django_capture_on_commit_callbacks):
    Customer.objects.create(organization=scoped, display_name="张三", mobile="+8613812345678")
    job = _lost(django_capture_on_commit_callbacks, lambda: _export(ops_admin))

    with time_machine.travel(timezone.now() + timedelta(minutes=3)), \
            django_capture_on_commit_callbacks(execute=True):
        assert _swept()["customer_export"] == 1
    job.refresh_from_db()
    assert (job.status, job.row_count) == (CustomerExport.Status.DONE, 1)


def test_a_running_export_is_only_taken_again_once_its_lease_outlived_the_time_limit(
        scoped, ops_admin, django_capture_on_commit_callbacks, eager_tasks):
    job = _lost(django_capture_on_commit_callbacks, lambda: _export(ops_admin))
    # A worker claimed it and died producing it.
    assert len(outbox.claim(outbox.kind_of("customer_export"), [job.pk])) == 1
    CustomerExport.objects.filter(pk=job.pk).update(status=CustomerExport.Status.RUNNING)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert _swept()["customer_export"] == 0  # a worker may still be producing it
    with time_machine.travel(timezone.now() + JOB_LEASE + timedelta(minutes=1)):
        assert _swept()["customer_export"] == 1
    job.refresh_from_db()
    assert (job.status, job.job_state, job.attempts) == (CustomerExport.Status.DONE, "done", 2)


def test_jobs_are_published_on_their_own_queue(scoped, ops_admin, django_capture_on_commit_callbacks,
                                              monkeypatch):
    sent = []
    monkeypatch.setattr("celery.app.base.Celery.send_task",
                        lambda self, name, args, **options: sent.append((name, args[0], options["queue"])))
    job = _lost(django_capture_on_commit_callbacks, lambda: _export(ops_admin))
    outbox.publish("customer_export", job.pk)
    outbox.flush()
    assert sent == [("scrm.tasks.outbox_run", "customer_export", "jobs")]


def _produced(organization, user, *, content=b"name,mobile\n", age=timedelta(0), n=0):
    job = CustomerExport(organization=organization, requested_by=user, file_format="csv",
                         status=CustomerExport.Status.DONE, file_name=f"customers-{n}.csv", row_count=1,
                         finished_at=timezone.now() - age)
    job.file.save("export", ContentFile(content), save=False)
    job.save()
    return job


def test_export_files_are_deleted_a_week_after_they_were_produced(scoped, ops_admin,
                                                                   django_capture_on_commit_callbacks):
    old, recent = (_produced(scoped, ops_admin, age=age, n=n)
                   for n, age in enumerate((timedelta(days=8), timedelta(days=6))))
    old_file = Path(settings.MEDIA_ROOT) / old.file.name
    assert old_file.read_bytes() == b"name,mobile\n"

    with django_capture_on_commit_callbacks(execute=True):
        assert customer_exports_expire() == 1

    stored = {pk: (status, name) for pk, status, name in CustomerExport.objects.values_list("pk", "status", "file")}
    assert stored[old.pk] == (CustomerExport.Status.EXPIRED, "")
    assert stored[recent.pk] == (CustomerExport.Status.DONE, recent.file.name)
    assert not old_file.exists()
    client = Client()
    client.force_login(ops_admin)
    assert 'data-testid="export-expired"' in client.get(f"/customers/export/{old.pk}/").content.decode()
    assert client.get(f"/customers/export/{old.pk}/download/").status_code == 404
    response = client.get(f"/customers/export/{recent.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"name,mobile\n"


def test_an_export_is_downloaded_by_its_requester_only(scoped, ops_admin, make_user):
    """Another user of the organization, or anyone of another organization, gets a 404, never the file."""
    job = _produced(scoped, ops_admin)
    assert job.file.name.startswith(f"exports/{scoped.pk}/") and job.file.name.endswith(".csv")
    url = f"/customers/export/{job.pk}/download/"
    colleague = make_user(scoped, Role.OPS_ADMIN, username="export-colleague")
    with platform_scope():
        other = OrganizationFactory(slug="export-other", name="Other")
    stranger = make_user(other, Role.OPS_ADMIN, username="export-stranger")
    for user in (colleague, stranger):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 404
    client = Client()
    client.force_login(ops_admin)
    assert client.get(url).status_code == 200


def test_files_no_row_names_are_swept_once_old(scoped, ops_admin):
    """A deleted batch's file (or a file whose row was rolled back) goes with the hourly sweep; a fresh one stays
    (its transaction may still be open)."""
    batch = customer_import_upload(organization=scoped, user=ops_admin, file=SimpleUploadedFile("c.csv", CSV))
    kept = _produced(scoped, ops_admin)
    stored = Path(settings.MEDIA_ROOT) / batch.file.name
    assert stored.exists()
    CustomerImport.objects.filter(pk=batch.pk).delete()

    assert customer_files_orphans_delete() == 0  # too fresh
    with time_machine.travel(timezone.now() + ORPHAN_GRACE + timedelta(minutes=1)):
        assert customer_files_orphans_delete() == 1
    assert not stored.exists()
    assert (Path(settings.MEDIA_ROOT) / kept.file.name).exists()
