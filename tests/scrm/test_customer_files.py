"""Uploaded customer files and produced exports live in Django's storage (under MEDIA_ROOT in the tests), one folder
per organization and never under the user's file name; the database only names them. A file goes once its row no
longer needs it, and the migration that introduced this moved every stored blob into a file
(tests/scrm/test_data_migrations.py)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from scrm.customers.imports import (
    customer_import_apply,
    customer_import_cancel,
    customer_import_confirm,
    customer_import_upload,
    customer_import_validate,
)
from scrm.models import CustomerImport

pytestmark = pytest.mark.django_db

CSV = "姓名,手机\n张三,13812345678\n".encode()


def _stored(name):
    return Path(settings.MEDIA_ROOT) / name


def test_an_upload_lands_as_a_file_of_its_organization_and_not_in_the_table(scoped, ops_admin):
    batch = customer_import_upload(organization=scoped, user=ops_admin,
                                   file=SimpleUploadedFile("../../客户 名单.csv", CSV))
    batch.refresh_from_db()
    assert batch.file.name.startswith(f"imports/{scoped.pk}/") and batch.file.name.endswith(".csv")
    assert "客户" not in batch.file.name and ".." not in batch.file.name
    assert _stored(batch.file.name).read_bytes() == CSV
    assert batch.file_name == "客户 名单.csv"  # shown on the page, never used as a path
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                              CustomerImport._meta.db_table)}
    assert "content" not in columns

    assert customer_import_validate(batch_id=batch.pk).status == CustomerImport.Status.VALIDATED


def test_a_refused_upload_leaves_no_file(scoped, ops_admin):
    with pytest.raises(Exception):  # noqa: B017 - which refusal is tested elsewhere; here: no file is left
        customer_import_upload(organization=scoped, user=ops_admin, file=SimpleUploadedFile("c.csv", b"\x00" * 10))
    imports = Path(settings.MEDIA_ROOT) / "imports"
    assert not imports.exists() or not any(p.is_file() for p in imports.rglob("*"))


@pytest.mark.parametrize("end", ["applied", "cancelled"])
def test_the_file_is_deleted_once_the_batch_is_applied_or_cancelled(scoped, ops_admin, end,
                                                                    django_capture_on_commit_callbacks):
    batch = customer_import_upload(organization=scoped, user=ops_admin, file=SimpleUploadedFile("c.csv", CSV))
    stored = _stored(batch.file.name)
    batch = customer_import_validate(batch_id=batch.pk)
    with django_capture_on_commit_callbacks(execute=True):
        if end == "applied":
            customer_import_confirm(batch=batch, user=ops_admin)
            batch = customer_import_apply(batch_id=batch.pk)
        else:
            batch = customer_import_cancel(batch=batch, user=ops_admin)
    batch.refresh_from_db()
    assert batch.status == end and batch.file.name == ""
    assert not stored.exists()
