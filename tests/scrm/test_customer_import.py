"""Customer import: preview, apply, undo, file formats and refusals, the pages, and the pipeline on a real worker."""

import time
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from scrm.customers.imports import (
    MAX_FILE_BYTES,
    CustomerImportRefused,
    customer_import_apply,
    customer_import_cancel,
    customer_import_confirm,
    customer_import_errors,
    customer_import_failure,
    customer_import_request_undo,
    customer_import_undo,
    customer_import_upload,
    customer_import_validate,
    reading,
)
from scrm.customers.imports.messages import (
    MSG_ALREADY_UNDONE,
    MSG_APPLY_FAILED,
    MSG_CANNOT_CANCEL,
    MSG_FILE_TOO_LARGE,
    MSG_NO_NAME_COLUMN,
    MSG_NOT_CHECKED,
    MSG_NOT_SPREADSHEET,
    MSG_NOTHING_TO_APPLY,
    MSG_TOO_MANY_ROWS,
    MSG_UNDO_FOREIGN_IDENTITIES,
    MSG_UNDO_REFERENCED,
    MSG_XLS_UNSUPPORTED,
    ROW_MSG_DUPLICATE_ROW,
    ROW_MSG_NAME_REQUIRED,
    ROW_MSG_TOO_LONG,
)
from scrm.customers.phones import MSG_BAD_MOBILE
from scrm.customers.services import CUSTOMER_NOTES_MAX_LENGTH, customer_merge, customer_reveal_pii
from scrm.errors import MSG_OWNER_NOT_ALLOWED, MSG_UNKNOWN_TAG, ScrmError
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerImport,
    CustomerImportChange,
    CustomerTag,
    PiiReveal,
    Region,
    Role,
    Tag,
    TagGroup,
)
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.tenancy import assert_not_reachable, tenant_pair

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
IMPORT_URL = "/customers/import/"


def _file(name, content=None):
    return SimpleUploadedFile(name, content if content is not None else (DATA / name).read_bytes())


@pytest.fixture
def world(scoped, ops_admin):
    """What the sample files refer to: two tags, a region, the owner ops-acme, and two customers already known,
    one by mobile and one by a WeChat identity."""
    group = TagGroup.objects.create(organization=scoped, name="客户类型")
    tags = {name: Tag.objects.create(organization=scoped, group=group, name=name) for name in ("老客户", "华东")}
    region = Region.objects.create(organization=scoped, name="华东大区", code="EAST", level=Region.Level.AREA,
                                   path="/EAST/")
    by_mobile = Customer.objects.create(organization=scoped, display_name="赵六老客户", mobile="+8613712345670",
                                        email="zhao@old.example.com")
    by_identity = Customer.objects.create(organization=scoped, display_name="老王")
    ChannelIdentity.objects.create(organization=scoped, customer=by_identity, channel=Channel.WECHAT_OA,
                                   external_id="oEXIST01")
    return {"org": scoped, "user": ops_admin, "tags": tags, "region": region, "by_mobile": by_mobile,
            "by_identity": by_identity}


def _checked(world, name, content=None):
    batch = customer_import_upload(organization=world["org"], user=world["user"], file=_file(name, content))
    return customer_import_validate(batch_id=batch.pk)


def _applied(world, batch):
    customer_import_confirm(batch=batch, user=world["user"])
    return customer_import_apply(batch_id=batch.pk)


def _errors(batch):
    return [(e["row"], e["column"], e["message"]) for e in customer_import_errors(batch=batch)]


def _state():
    """Everything an import may touch, as comparable values (updated_at aside: undo is itself a change)."""
    customers = {
        c["id"]: c for c in Customer.objects.values(
            "id", "display_name", "real_name", "mobile", "email", "region_id", "level", "owner_id", "notes",
            "source_channel", "merged_into_id")
    }
    tags = set(CustomerTag.objects.values_list("customer_id", "tag_id"))
    identities = set(ChannelIdentity.objects.values_list("customer_id", "channel", "app_id", "external_id"))
    return customers, tags, identities


# --- Preview ---------------------------------------------------------------------------------------------------------
def test_preview_counts_new_updates_and_row_errors(world):
    batch = _checked(world, "customers_preview.csv")

    assert batch.status == CustomerImport.Status.VALIDATED
    assert (batch.total_rows, batch.new_count, batch.update_count, batch.error_count) == (8, 2, 2, 4)
    assert _errors(batch) == [
        (3, "手机号", str(MSG_BAD_MOBILE % {"value": "1381234"})),
        (4, "标签", str(MSG_UNKNOWN_TAG % {"name": "不存在的标签"})),
        (5, "姓名", str(ROW_MSG_NAME_REQUIRED)),
        (6, "", str(ROW_MSG_DUPLICATE_ROW % {"row": 2})),
    ]
    assert [(r["row"], r["action"], r["customer_id"]) for r in batch.preview] == [
        (2, "new", None), (3, "skip", None), (4, "skip", None), (5, "skip", None), (6, "skip", None),
        (7, "update", world["by_mobile"].pk), (8, "new", None), (9, "update", world["by_identity"].pk),
    ]
    first = batch.preview[0]
    assert first["mobile"] == "138****5678" and first["tags"] == ["老客户", "华东"] and first["region"] == "华东大区"
    # The check writes nothing but the batch.
    assert Customer.objects.count() == 2 and not CustomerTag.objects.exists()


def test_apply_creates_and_updates_exactly_what_the_preview_said(world):
    batch = _checked(world, "customers_preview.csv")
    preview_counts = (batch.new_count, batch.update_count, batch.error_count)
    batch = _applied(world, batch)

    assert batch.status == CustomerImport.Status.APPLIED
    assert (batch.new_count, batch.update_count, batch.error_count) == preview_counts
    created = Customer.objects.filter(source_channel=Channel.IMPORT).order_by("pk")
    assert [c.display_name for c in created] == ["张三", "微信用户甲"]
    zhang = created[0]
    assert (zhang.mobile, zhang.email, zhang.level, zhang.region, zhang.owner, zhang.notes) == (
        "+8613812345678", "zhangsan@example.com", Customer.Level.VIP, world["region"], world["user"], "首批客户")
    assert set(zhang.tags.values_list("name", flat=True)) == {"老客户", "华东"}
    assert list(created[1].identities.values_list("channel", "external_id")) == [(Channel.WECHAT_OA, "oNEW0001")]

    by_mobile = Customer.objects.get(pk=world["by_mobile"].pk)
    # Filled or raised, never overwritten: the email it had stays.
    assert (by_mobile.display_name, by_mobile.email, by_mobile.level) == (
        "赵六老客户", "zhao@old.example.com", Customer.Level.SVIP)
    assert list(by_mobile.tags.values_list("name", flat=True)) == ["老客户"]
    by_identity = Customer.objects.get(pk=world["by_identity"].pk)
    assert by_identity.mobile == "+8613612345670"
    assert by_identity.identities.count() == 1
    # Rows with errors were skipped: no 李四, 王五 or nameless customer.
    assert Customer.objects.count() == 4
    assert CustomerImportChange.objects.filter(batch=batch).count() == 4


def test_a_failure_in_the_middle_of_apply_leaves_nothing(world):
    """The last row passes the check but breaks a rule only the database knows (as a concurrent writer or a schema
    rule the checker misses would): by then earlier rows are written, and all of it must roll back."""
    last_row = "孙十,13512345678,,,老客户,,,企业微信,wmBOOM,\r\n"
    content = (DATA / "customers_preview.csv").read_bytes() + last_row.encode()
    batch = _checked(world, "customers_preview.csv", content)
    assert (batch.new_count, batch.update_count) == (3, 2)
    before = _state()
    with connection.cursor() as cursor:
        # (The test's own transaction has deferred foreign-key checks pending; PostgreSQL alters no table then.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE scrm_channelidentity ADD CONSTRAINT test_no_boom CHECK (external_id <> 'wmBOOM')")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    batch = _applied(world, batch)

    assert batch.status == CustomerImport.Status.FAILED
    assert customer_import_failure(batch) == str(MSG_APPLY_FAILED)
    assert "test_no_boom" in batch.failure_detail
    assert _state() == before
    assert not CustomerImportChange.objects.exists()


def test_undo_restores_the_exact_previous_state(world):
    before = _state()
    batch = _applied(world, _checked(world, "customers_preview.csv"))
    assert _state() != before

    customer_import_request_undo(batch=batch, user=world["user"])
    batch = customer_import_undo(batch_id=batch.pk)

    assert batch.status == CustomerImport.Status.UNDONE
    assert batch.undone_by == world["user"] and batch.undone_at is not None
    assert _state() == before
    with pytest.raises(ScrmError) as exc:
        customer_import_request_undo(batch=batch, user=world["user"])
    assert str(exc.value) == str(MSG_ALREADY_UNDONE)


def test_undo_keeps_a_value_changed_after_the_import(world):
    batch = _applied(world, _checked(world, "customers_preview.csv"))
    Customer.objects.filter(pk=world["by_mobile"].pk).update(level=Customer.Level.VIP)

    customer_import_request_undo(batch=batch, user=world["user"])
    customer_import_undo(batch_id=batch.pk)

    customer = Customer.objects.get(pk=world["by_mobile"].pk)
    assert customer.level == Customer.Level.VIP
    assert not customer.tags.exists()


def test_undo_is_refused_when_a_created_customer_gained_another_identity(world):
    batch = _applied(world, _checked(world, "customers_preview.csv"))
    zhang = Customer.objects.get(display_name="张三")
    ChannelIdentity.objects.create(organization=world["org"], customer=zhang, channel=Channel.WECOM,
                                   external_id="wmLATER")
    state = _state()

    customer_import_request_undo(batch=batch, user=world["user"])
    batch = customer_import_undo(batch_id=batch.pk)

    assert batch.status == CustomerImport.Status.APPLIED
    assert customer_import_failure(batch) == str(MSG_UNDO_FOREIGN_IDENTITIES)
    assert _state() == state


def test_undo_is_refused_when_a_created_customer_was_merged(world):
    batch = _applied(world, _checked(world, "customers_preview.csv"))
    zhang = Customer.objects.get(display_name="张三")
    customer_merge(primary=world["by_mobile"], duplicate=zhang, actor=world["user"])
    state = _state()

    customer_import_request_undo(batch=batch, user=world["user"])
    batch = customer_import_undo(batch_id=batch.pk)

    assert batch.status == CustomerImport.Status.APPLIED
    assert customer_import_failure(batch) == str(MSG_UNDO_REFERENCED)
    assert _state() == state


# --- File formats and refusals ---------------------------------------------------------------------------------------
def test_a_gbk_csv_from_chinese_excel_is_read(world):
    batch = _applied(world, _checked(world, "customers_gbk.csv"))

    assert (batch.new_count, batch.error_count) == (2, 0)
    lin = Customer.objects.get(display_name="林二")
    assert (lin.mobile, lin.level) == ("+8613822223333", Customer.Level.VIP)
    assert set(lin.tags.values_list("name", flat=True)) == {"老客户", "华东"}


def test_a_csv_with_a_nul_byte_in_a_cell_is_imported_without_it(world):
    """A stray NUL in a cell near the top of a CSV refused the whole file as "not a spreadsheet"."""
    content = "姓名,手机,备注\n陈\x00一,13811112222,老\x00客户\n林二,13822223333,\n".encode()
    batch = _applied(world, _checked(world, "nul.csv", content))

    assert (batch.status, batch.new_count, batch.error_count) == (CustomerImport.Status.APPLIED, 2, 0)
    chen = Customer.objects.get(mobile="+8613811112222")
    assert (chen.display_name, chen.notes) == ("陈一", "老客户")
    assert Customer.objects.filter(display_name="林二").exists()


def test_an_xlsx_workbook_is_read_even_below_a_caption_row(world):
    batch = _applied(world, _checked(world, "customers.xlsx"))

    assert batch.file_kind == CustomerImport.Kind.XLSX
    assert (batch.total_rows, batch.new_count, batch.error_count) == (2, 2, 0)
    assert [r["row"] for r in batch.preview] == [3, 4]
    zhou = Customer.objects.get(display_name="周八")
    # Excel stored the mobiles as numbers (one of them a float): they still come out as mobiles.
    assert (zhou.mobile, zhou.real_name, zhou.level) == ("+8613833334444", "周八八", Customer.Level.SVIP)
    assert list(zhou.identities.values_list("channel", "external_id")) == [(Channel.WECOM, "wmEXT1")]
    assert Customer.objects.get(display_name="吴九").mobile == "+8613844445555"


def test_an_oversized_file_is_refused_and_creates_nothing(world):
    with pytest.raises(CustomerImportRefused) as exc:
        customer_import_upload(organization=world["org"], user=world["user"],
                               file=_file("big.csv", b"x" * (MAX_FILE_BYTES + 1)))
    assert str(exc.value) == str(MSG_FILE_TOO_LARGE % {"limit": 20})
    assert not CustomerImport.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("not_a_spreadsheet.png", None, MSG_NOT_SPREADSHEET),
    ("photo.csv", (DATA / "not_a_spreadsheet.png").read_bytes(), MSG_NOT_SPREADSHEET),
    ("customers.xlsx", b"just some text, not a workbook", MSG_NOT_SPREADSHEET),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, MSG_XLS_UNSUPPORTED),
    ("wrong.csv", "编号,地址\r\n1,上海\r\n".encode(), MSG_NO_NAME_COLUMN),
])
def test_a_file_that_is_not_a_customer_spreadsheet_is_refused_and_creates_nothing(world, name, content, message):
    with pytest.raises(CustomerImportRefused) as exc:
        customer_import_upload(organization=world["org"], user=world["user"], file=_file(name, content))
    assert str(exc.value) == str(message)
    assert not CustomerImport.objects.exists()


def test_too_many_rows_are_refused_at_upload_for_csv_and_at_the_check_for_xlsx(world, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 1)
    with pytest.raises(CustomerImportRefused) as exc:
        customer_import_upload(organization=world["org"], user=world["user"], file=_file("customers_gbk.csv"))
    assert str(exc.value) == str(MSG_TOO_MANY_ROWS % {"limit": 1})
    assert not CustomerImport.objects.exists()

    # A workbook's rows are only counted by reading it all, which the worker does.
    batch = _checked(world, "customers.xlsx")
    assert batch.status == CustomerImport.Status.FAILED
    assert customer_import_failure(batch) == str(MSG_TOO_MANY_ROWS % {"limit": 1})
    assert Customer.objects.count() == 2


def test_a_checked_import_can_be_cancelled_and_then_imports_nothing(world):
    batch = _checked(world, "customers_gbk.csv")
    batch = customer_import_cancel(batch=batch, user=world["user"])
    assert batch.status == CustomerImport.Status.CANCELLED
    with pytest.raises(ScrmError) as exc:
        customer_import_confirm(batch=batch, user=world["user"])
    assert str(exc.value) == str(MSG_NOT_CHECKED)
    assert Customer.objects.count() == 2
    with pytest.raises(ScrmError) as exc:
        customer_import_cancel(batch=batch, user=world["user"])
    assert str(exc.value) == str(MSG_CANNOT_CANCEL)


def test_a_file_whose_rows_all_fail_cannot_be_confirmed(world):
    batch = _checked(world, "bad.csv", "姓名,手机\r\n李四,12345\r\n".encode())
    assert (batch.new_count, batch.update_count, batch.error_count) == (0, 0, 1)
    with pytest.raises(ScrmError) as exc:
        customer_import_confirm(batch=batch, user=world["user"])
    assert str(exc.value) == str(MSG_NOTHING_TO_APPLY)


def test_notes_past_the_customer_limit_are_reported_on_their_row_and_not_imported(world):
    """The customer page and API refuse notes longer than CUSTOMER_NOTES_MAX_LENGTH; so does the import."""
    fits, too_long = "备" * CUSTOMER_NOTES_MAX_LENGTH, "备" * (CUSTOMER_NOTES_MAX_LENGTH + 1)
    content = f"姓名,手机号,备注\r\n长备注,13800000001,{too_long}\r\n刚好,13800000002,{fits}\r\n"
    batch = _checked(world, "notes.csv", content.encode())

    assert (batch.new_count, batch.update_count, batch.error_count) == (1, 0, 1)
    assert _errors(batch) == [(2, "备注", str(ROW_MSG_TOO_LONG % {"limit": CUSTOMER_NOTES_MAX_LENGTH}))]
    _applied(world, batch)
    created = Customer.objects.filter(source_channel=Channel.IMPORT)
    assert [(c.display_name, len(c.notes)) for c in created] == [("刚好", CUSTOMER_NOTES_MAX_LENGTH)]


def test_an_unknown_owner_is_reported_without_promising_that_any_active_user_will_do(world):
    """The row error said to use "the user name of an active user", yet an active finance user is refused too."""
    content = "姓名,手机号,负责人\r\n新客户,13800000001,nobody\r\n"
    batch = _checked(world, "owners.csv", content.encode())

    with translation.override("en"):
        assert _errors(batch) == [(2, "负责人", "Unknown owner: nobody. Write the user name of someone who may own "
                                               "customers (as offered under Owner on the customer page).")]
    assert batch.new_count == 0 and not Customer.objects.filter(display_name="新客户").exists()


def test_an_owner_who_may_not_own_customers_is_reported_on_their_row_and_not_imported(world, make_user):
    """Only customer_owner_choices may own a customer (the page's and API's rule): a finance user named as owner
    refuses the row, in the page's words; a customer they already own keeps them, as the edit page allows."""
    finance = make_user(world["org"], Role.FINANCE, username="fin-acme", display_name="钱财务")
    owned = Customer.objects.create(organization=world["org"], display_name="老客户甲", mobile="+8613800000009",
                                    owner=finance)
    content = ("姓名,手机号,负责人\r\n"
               "新客户,13800000001,fin-acme\r\n"
               "老客户甲,13800000009,fin-acme\r\n"
               "另一个,13800000002,ops-acme\r\n")
    before = _state()
    batch = _checked(world, "owners.csv", content.encode())

    assert (batch.new_count, batch.update_count, batch.error_count) == (1, 1, 1)
    assert _errors(batch) == [(2, "负责人", str(MSG_OWNER_NOT_ALLOWED % {"name": "钱财务"}))]
    _applied(world, batch)
    created = Customer.objects.filter(source_channel=Channel.IMPORT)
    assert [(c.display_name, c.owner) for c in created] == [("另一个", world["user"])]
    assert not Customer.objects.filter(owner=finance).exclude(pk=owned.pk).exists()
    assert before[0][owned.pk] == _state()[0][owned.pk]


# --- Pages -----------------------------------------------------------------------------------------------------------
def test_upload_then_preview_then_confirm_imports_the_file(world, eager_tasks, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world["user"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"file": _file("customers_preview.csv")})
    batch = CustomerImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/import/{batch.pk}/"

    page = client.get(response["Location"]).content.decode()
    assert 'data-status="validated"' in page
    assert 'data-count="new">2<' in page and 'data-count="update">2<' in page and 'data-count="errors">4<' in page
    assert 'data-row="2" data-action="new"' in page and "138****5678" in page
    assert escape(str(MSG_BAD_MOBILE % {"value": "1381234"})) in page
    assert 'data-testid="import-confirm"' in page

    errors_csv = b"".join(client.get(f"/customers/import/{batch.pk}/errors.csv").streaming_content)
    assert errors_csv.startswith(b"\xef\xbb\xbf") and "不存在的标签".encode() in errors_csv

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/customers/import/{batch.pk}/confirm/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == CustomerImport.Status.APPLIED
    assert Customer.objects.filter(source_channel=Channel.IMPORT).count() == 2
    page = client.get(f"/customers/import/{batch.pk}/").content.decode()
    assert 'data-status="applied"' in page and 'data-testid="import-undo"' in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/customers/import/{batch.pk}/undo/")
    batch.refresh_from_db()
    assert batch.status == CustomerImport.Status.UNDONE
    assert not Customer.objects.filter(source_channel=Channel.IMPORT).exists()


def test_a_refused_upload_shows_why_on_the_form(world):
    client = Client()
    client.force_login(world["user"])
    response = client.post(IMPORT_URL, {"file": _file("not_a_spreadsheet.png")})
    assert response.status_code == 400
    assert escape(str(MSG_NOT_SPREADSHEET)) in response.content.decode()
    assert not CustomerImport.objects.exists()


def test_the_progress_bar_polls_while_a_worker_runs_and_stops_when_done(world):
    client = Client()
    client.force_login(world["user"])
    batch = customer_import_upload(organization=world["org"], user=world["user"],
                                   file=_file("customers_preview.csv"))

    running = client.get(f"/customers/import/{batch.pk}/progress/", headers={"HX-Request": "true"})
    body = running.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'role="progressbar"' in body
    assert "style=" not in body and "HX-Refresh" not in running.headers

    customer_import_validate(batch_id=batch.pk)
    done = client.get(f"/customers/import/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.content.decode() and 'aria-valuenow="100"' in done.content.decode()
    assert done.headers["HX-Refresh"] == "true"


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_may_not_import(world, make_user, role):
    batch = _checked(world, "customers_gbk.csv")
    client = Client()
    client.force_login(make_user(world["org"], role))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": _file("customers_gbk.csv")}).status_code == 403
    assert client.get(f"/customers/import/{batch.pk}/").status_code == 403
    assert client.post(f"/customers/import/{batch.pk}/confirm/").status_code == 403
    batch.refresh_from_db()
    assert batch.status == CustomerImport.Status.VALIDATED
    assert CustomerImport.objects.count() == 1


def test_a_supervisor_may_import_and_undo(world, make_user):
    client = Client()
    client.force_login(make_user(world["org"], Role.SUPERVISOR))
    assert client.get(IMPORT_URL).status_code == 200
    batch = _applied(world, _checked(world, "customers_gbk.csv"))
    assert client.get(f"/customers/import/{batch.pk}/undo/").status_code == 200


def test_another_organizations_batch_cannot_be_reached(db):
    def seed(tenant):
        batch = customer_import_upload(organization=tenant.organization, user=tenant.users[Role.OPS_ADMIN],
                                       file=_file("customers_gbk.csv"))
        tenant.objects["batch"] = customer_import_validate(batch_id=batch.pk)

    a, b = tenant_pair(seed)
    batch = b.objects["batch"]
    client = Client()
    for suffix in ("", "progress/", "errors.csv", "undo/"):
        assert_not_reachable(client, a, f"/customers/import/{batch.pk}/{suffix}", allowed=(404,))
    client.force_login(a.users[Role.OPS_ADMIN])
    assert client.post(f"/customers/import/{batch.pk}/confirm/").status_code == 404
    with tenant_scope(b.organization):
        assert CustomerImport.objects.get(pk=batch.pk).status == CustomerImport.Status.VALIDATED


# --- The pipeline, on a real worker ----------------------------------------------------------------------------------
def _wait_for_status(batch_id, statuses, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with platform_scope():
            batch = CustomerImport.objects.get(pk=batch_id)
        if batch.status in statuses:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} still {batch.status} after {timeout}s (is the worker running?)")


def test_a_real_worker_checks_then_applies_an_uploaded_file(celery_worker, organization, make_user):
    user = make_user(organization, Role.OPS_ADMIN, username="ops-acme")
    with tenant_scope(organization):
        group = TagGroup.objects.create(organization=organization, name="客户类型")
        for name in ("老客户", "华东"):
            Tag.objects.create(organization=organization, group=group, name=name)
    client = Client()
    client.force_login(user)

    response = client.post(IMPORT_URL, {"file": _file("customers_gbk.csv")})
    assert response.status_code == 302
    with platform_scope():
        batch_id = CustomerImport.objects.get(organization=organization).pk

    batch = _wait_for_status(batch_id, {CustomerImport.Status.VALIDATED, CustomerImport.Status.FAILED})
    assert batch.status == CustomerImport.Status.VALIDATED, batch.failure_detail
    assert (batch.new_count, batch.error_count) == (2, 0)

    assert client.post(f"/customers/import/{batch_id}/confirm/").status_code == 302
    batch = _wait_for_status(batch_id, {CustomerImport.Status.APPLIED, CustomerImport.Status.FAILED})
    assert batch.status == CustomerImport.Status.APPLIED, batch.failure_detail
    with tenant_scope(organization):
        assert sorted(Customer.objects.values_list("display_name", flat=True)) == ["林二", "陈一"]
    assert 'data-status="applied"' in client.get(f"/customers/import/{batch_id}/").content.decode()


def test_the_sample_workbook_stores_mobiles_as_numbers():
    """Guard for the sample file itself: its mobiles are numbers (one written as 1.3844445555E10, as some programs
    write them), which is what the workbook test is about."""
    sheet = openpyxl.load_workbook(DATA / "customers.xlsx").active
    assert isinstance(sheet["B3"].value, int) and isinstance(sheet["B4"].value, float)


def test_undo_keeps_the_record_of_who_saw_a_deleted_customers_personal_data(world):
    batch = _applied(world, _checked(world, "customers_preview.csv"))
    created = Customer.objects.filter(source_channel=Channel.IMPORT).order_by("pk").first()
    customer_reveal_pii(customer=created, user=world["user"])

    customer_import_request_undo(batch=batch, user=world["user"])
    customer_import_undo(batch_id=batch.pk)

    assert not Customer.objects.filter(pk=created.pk).exists()
    reveal = PiiReveal.objects.get()
    assert (reveal.customer_id, reveal.customer_name, reveal.user) == (None, created.display_name, world["user"])
    client = Client()
    client.force_login(world["user"])
    page = client.get("/customers/reveals/").content.decode()
    assert escape(created.display_name) in page


def test_the_template_is_headed_in_the_readers_language_and_imports_in_either(world):
    """The template's column titles were Chinese whatever the page's language: an English reader got 姓名, 手机 ...;
    they follow the reader's language now, and a template filled in either language imports the same."""
    import csv
    import io

    client = Client()
    client.force_login(world["user"])
    chinese = next(csv.reader(io.StringIO(client.get(f"{IMPORT_URL}template.csv").content.decode("utf-8-sig"))))
    client.cookies["django_language"] = "en"
    body = client.get(f"{IMPORT_URL}template.csv").content.decode("utf-8-sig")
    english, example = list(csv.reader(io.StringIO(body)))

    assert chinese == ["姓名", "真实姓名", "手机号", "邮箱", "区域编码", "等级", "标签", "负责人", "备注", "渠道",
                       "外部ID", "应用ID"]
    assert english == ["Name", "Real name", "Mobile", "Email", "Region code", "Level", "Tags", "Owner", "Notes",
                       "Channel", "External ID", "App ID"]
    for titles in (chinese, english):
        content = "\ufeff" + ",".join(titles) + "\r\n" + ",".join(example) + "\r\n"
        batch = _checked(world, "template.csv", content.encode())
        assert batch.status == CustomerImport.Status.VALIDATED, batch.failure_code
        assert (batch.new_count, _errors(batch)) == (1, []), titles
