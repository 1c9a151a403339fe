"""A customer import's refusal and row errors are stored as codes with parameters and worded by the one registry of
coded messages (scrm.platform.coded): one stored batch reads in Chinese and in English, and a code this version
does not know shows itself with its parameters."""

import pytest
from django.core.files.base import ContentFile

from scrm.models import CustomerImport, CustomerImportRowError
from scrm.platform.tenancy import tenant_scope

pytestmark = pytest.mark.django_db


def test_one_stored_batch_reads_in_chinese_and_in_english(client, organization, ops_admin):
    with tenant_scope(organization):
        batch = CustomerImport.objects.create(
            organization=organization, created_by=ops_admin, file_name="c.csv", file_kind="csv",
            file_sha256="0" * 64, file_size=1, file=ContentFile(b"x", name="c.csv"),
            status=CustomerImport.Status.FAILED, failure_code="too_many_rows", failure_params={"limit": 50000})
        CustomerImportRowError.objects.bulk_create([
            CustomerImportRowError(organization=organization, batch=batch, row=2, column="region",
                                   code="unknown_region", params={"value": "华北9"}),
            CustomerImportRowError(organization=organization, batch=batch, row=3, column="mobile",
                                   code="mobile_gone", params={"value": "139"})])
    client.force_login(ops_admin)
    pages = {}
    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        pages[language] = client.get(f"/customers/import/{batch.pk}/").content.decode()
    assert "文件超过 50000 行" in pages["zh-hans"] and "未知区域：华北9" in pages["zh-hans"]
    assert "The file has more than 50000 rows" in pages["en"] and "Unknown region: 华北9" in pages["en"]
    for page in pages.values():
        assert "<td>mobile_gone (value: 139)</td>" in page
