"""Statements imported without the browser: the command, the drop folder, the API."""

import json
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from demo.statement_files import alipay_bill, wechatpay_bill
from scrm.models import Role
from scrm.platform.tenancy import platform_scope, tenant_scope
from settlement.errors import MSG_NO_FILE, MSG_NO_ORGANIZATION, MSG_NO_PAYMENT_CHANNEL, MSG_NO_PAYMENT_CHANNEL_IN
from settlement.models import StatementImport, StatementLine
from settlement.statements.folder import statement_folder_sweep
from tests.scrm.factories import OrganizationFactory
from tests.settlement.statements import DAY, day_entries
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db


def test_the_command_imports_and_prints_a_json_summary(organization, tmp_path, capsys):
    path = tmp_path / "wechat-2026-11-30.csv"
    path.write_bytes(wechatpay_bill(day_entries(), layout="legacy"))
    call_command("import_statement", "--organization", "acme", "--channel", "wechatpay", str(path))
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "imported" and printed["layout"] == "wechatpay-legacy"
    assert (printed["lines"], printed["refunds"], printed["gross_total"]) == (4, 1, "4197.00")
    assert printed["period_start"] == printed["period_end"] == "2026-11-30"
    with tenant_scope(organization):
        row = StatementImport.objects.get()
        assert (row.source, row.job_state) == ("command", "done")


def test_the_command_refuses_clearly_with_a_non_zero_exit(organization, tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(wechatpay_bill(day_entries(), truncate=True))
    with pytest.raises(CommandError, match="第 5 行"):
        call_command("import_statement", "--organization", "acme", "--channel", "wechatpay", str(path))
    with tenant_scope(organization):
        assert not StatementLine.objects.exists()


def test_the_command_names_what_is_missing_in_the_operators_language(organization, tmp_path):
    """Its refusals were English f-strings ("No payment channel 'jdpay' in acme."): now translatable messages."""
    path = tmp_path / "w.csv"
    path.write_bytes(wechatpay_bill(day_entries()))
    missing = str(tmp_path / "missing.csv")
    cases = [
        (["--organization", "nobody", "--channel", "wechatpay", str(path)], MSG_NO_ORGANIZATION % {"slug": "nobody"}),
        (["--organization", "acme", "--channel", "wechatpay", missing], MSG_NO_FILE % {"path": missing}),
        (["--organization", "acme", "--channel", "jdpay", str(path)],
         MSG_NO_PAYMENT_CHANNEL_IN % {"code": "jdpay", "organization": "acme"}),
    ]
    with translation.override("zh-hans"):
        for arguments, message in cases:
            with pytest.raises(CommandError) as refused:
                call_command("import_statement", *arguments)
            assert str(refused.value) == str(message)
    with tenant_scope(organization):
        assert not StatementImport.objects.exists()


def test_a_dropped_file_of_an_unknown_organization_or_channel_says_why_in_the_operators_language(organization,
                                                                                                tmp_path):
    old = time.time() - 60
    for organization_slug, code in (("acme", "jdpay"), ("nobody", "wechatpay")):
        folder = tmp_path / organization_slug / code
        folder.mkdir(parents=True)
        (folder / "bill.csv").write_bytes(wechatpay_bill(day_entries()))
        os.utime(folder / "bill.csv", (old, old))
    with translation.override("zh-hans"):
        outcome = statement_folder_sweep(root=tmp_path)
        expected = {
            "acme/jdpay": str(MSG_NO_PAYMENT_CHANNEL % {"code": "jdpay"}),
            "nobody/wechatpay": str(MSG_NO_ORGANIZATION % {"slug": "nobody"}),
        }
    assert outcome == {"imported": [], "failed": ["bill.csv", "bill.csv"]}
    for folder, reason in expected.items():
        assert (tmp_path / folder / "failed" / "bill.csv.txt").read_text(encoding="utf-8") == reason + "\n"
    with tenant_scope(organization):
        assert not StatementImport.objects.exists()


def test_files_dropped_in_the_folder_are_imported_and_moved(organization, tmp_path, eager_tasks,
                                                            django_capture_on_commit_callbacks):
    folder = tmp_path / "acme" / "alipay"
    folder.mkdir(parents=True)
    (folder / "bill.zip").write_bytes(alipay_bill(day_entries(), day=DAY))
    (folder / "again.zip").write_bytes(alipay_bill(day_entries(), day=DAY))
    fresh = folder / "writing.zip"
    fresh.write_bytes(b"PK")
    old = time.time() - 60
    for name in ("bill.zip", "again.zip"):
        os.utime(folder / name, (old, old))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = statement_folder_sweep(root=tmp_path)
    assert len(outcome["imported"]) == 1 and outcome["failed"] == ["bill.zip"]  # "again" went first, by name
    assert (folder / "done" / "again.zip").exists()
    assert f"#{outcome['imported'][0]}" in (folder / "failed" / "bill.zip.txt").read_text()
    assert fresh.exists()  # still being written: left for the next sweep
    with tenant_scope(organization):
        row = StatementImport.objects.get()
        assert (row.source, row.status, row.line_count) == ("folder", "imported", 4)


@pytest.fixture
def api(organization, make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(make_user(organization, Role.FINANCE))}")
    return client


def test_the_api_uploads_lists_and_refuses_a_duplicate(api, organization, eager_tasks,
                                                       django_capture_on_commit_callbacks):
    content = wechatpay_bill(day_entries())
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/statements/", {"channel": "wechatpay",
                                                    "file": SimpleUploadedFile("w.csv", content)})
    assert response.status_code == 201, response.content
    statement_id = response.json()["id"]
    detail = api.get(f"/api/v1/statements/{statement_id}/").json()
    assert (detail["status"], detail["line_count"], detail["gross_total"], detail["progress"]) == (
        "imported", 4, "4197.00", 100)
    assert [row["id"] for row in api.get("/api/v1/statements/?channel=wechatpay").json()["results"]] == [
        statement_id]
    assert api.get("/api/v1/statements/?channel=alipay").json()["results"] == []
    again = api.post("/api/v1/statements/", {"channel": "wechatpay", "file": SimpleUploadedFile("x.csv", content)})
    assert again.status_code == 409 and again.json()["first_import"].endswith(f"/api/v1/statements/{statement_id}/")


def test_the_api_is_scoped_and_permission_checked(api, organization, make_user, agent):
    with platform_scope():
        other = OrganizationFactory(slug="other")
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {api_token(make_user(other, Role.FINANCE))}")
    created = api.post("/api/v1/statements/", {"channel": "alipay", "file": SimpleUploadedFile(
        "a.zip", alipay_bill(day_entries(), day=DAY))})
    assert created.status_code == 201
    assert stranger.get(f"/api/v1/statements/{created.json()['id']}/").status_code == 404
    assert stranger.get("/api/v1/statements/").json()["results"] == []
    agent_client = APIClient()
    agent_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(agent)}")
    assert agent_client.get("/api/v1/statements/").status_code == 403
    assert agent_client.post("/api/v1/statements/", {"channel": "alipay"}).status_code == 403
