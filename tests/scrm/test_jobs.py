"""Background jobs whose task was lost (the broker was down when they were asked for) are queued again by beat,
and export files holding personal data are deleted a week after they were produced."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from scrm.models import Customer, CustomerExport, CustomerImport
from scrm.services import customer_export
from scrm.services.customer_import import customer_import_upload
from scrm.services.jobs import background_jobs_requeue, customer_exports_expire
from scrm.tenancy import tenant_scope

pytestmark = pytest.mark.django_db

CSV = "姓名,手机\n张三,13812345678\n李四,13912345678\n".encode()


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
        assert background_jobs_requeue() == {"imports": 0, "exports": 0}  # just uploaded: its task may be coming
    batch.refresh_from_db()
    assert batch.status == CustomerImport.Status.UPLOADED

    with time_machine.travel(timezone.now() + timedelta(minutes=3)), \
            django_capture_on_commit_callbacks(execute=True):
        assert background_jobs_requeue() == {"imports": 1, "exports": 0}
    batch.refresh_from_db()
    assert (batch.status, batch.new_count) == (CustomerImport.Status.VALIDATED, 2)
    assert not Customer.objects.exists()  # checked, not applied: applying still waits for the user's confirmation


def test_finished_and_cancelled_imports_are_left_alone(scoped, ops_admin, django_capture_on_commit_callbacks):
    batch = _lost(django_capture_on_commit_callbacks, lambda: customer_import_upload(
        organization=scoped, user=ops_admin, file=SimpleUploadedFile("客户.csv", CSV)))
    CustomerImport.objects.filter(pk=batch.pk).update(status=CustomerImport.Status.CANCELLED)
    with time_machine.travel(timezone.now() + timedelta(hours=1)), \
            django_capture_on_commit_callbacks(execute=False) as queued:
        assert background_jobs_requeue() == {"imports": 0, "exports": 0}
    assert queued == []


def _export(user):
    with tenant_scope(user.organization_id):
        customers = customer_export.customer_export_queryset(user=user)
        return customer_export.customer_export_start(user=user, file_format="csv", customers=customers)


def test_an_export_whose_task_was_lost_is_produced_after_the_next_sweep(
        scoped, ops_admin, eager_tasks, django_capture_on_commit_callbacks):
    Customer.objects.create(organization=scoped, display_name="张三", mobile="+8613812345678")
    job = _lost(django_capture_on_commit_callbacks, lambda: _export(ops_admin))

    with time_machine.travel(timezone.now() + timedelta(minutes=3)), \
            django_capture_on_commit_callbacks(execute=True):
        assert background_jobs_requeue() == {"imports": 0, "exports": 1}
    job.refresh_from_db()
    assert (job.status, job.row_count) == (CustomerExport.Status.DONE, 1)


def test_a_running_export_is_only_requeued_once_it_outlived_the_time_limit(
        scoped, ops_admin, django_capture_on_commit_callbacks):
    job = _lost(django_capture_on_commit_callbacks, lambda: _export(ops_admin))
    CustomerExport.objects.filter(pk=job.pk).update(status=CustomerExport.Status.RUNNING)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)), \
            django_capture_on_commit_callbacks(execute=False):
        assert background_jobs_requeue()["exports"] == 0  # a worker may still be producing it
    with time_machine.travel(timezone.now() + timedelta(minutes=40)), \
            django_capture_on_commit_callbacks(execute=False):
        assert background_jobs_requeue()["exports"] == 1


def test_export_files_are_deleted_a_week_after_they_were_produced(scoped, ops_admin):
    now = timezone.now()
    old, recent = (CustomerExport.objects.create(
        organization=scoped, requested_by=ops_admin, file_format="csv", status=CustomerExport.Status.DONE,
        content=b"name,mobile\n", file_name=f"customers-{n}.csv", row_count=1, finished_at=now - age)
        for n, age in enumerate((timedelta(days=8), timedelta(days=6))))

    assert customer_exports_expire() == 1

    stored = {pk: (status, bytes(content)) for pk, status, content
              in CustomerExport.objects.values_list("pk", "status", "content")}
    assert stored[old.pk] == (CustomerExport.Status.EXPIRED, b"")
    assert stored[recent.pk] == (CustomerExport.Status.DONE, b"name,mobile\n")
    client = Client()
    client.force_login(ops_admin)
    assert 'data-testid="export-expired"' in client.get(f"/customers/export/{old.pk}/").content.decode()
    assert client.get(f"/customers/export/{old.pk}/download/").status_code == 404
    assert client.get(f"/customers/export/{recent.pk}/download/").status_code == 200
