"""Bad input on the pages and the API of the core app and the workspace: each answers with a clear error (or a
bounded page), stores nothing, and never a 500."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from scrm.customers.imports import (
    CustomerImportRefused,
    customer_import_apply,
    customer_import_confirm,
    customer_import_upload,
    customer_import_validate,
    reading,
)
from scrm.customers.imports.messages import (
    MSG_CSV_FIELD_TOO_LONG,
    MSG_DAMAGED,
    MSG_ENCRYPTED,
    MSG_XLS_UNSUPPORTED,
    MSG_XLSX_ROW_CELLS,
)
from scrm.customers.services import customers_log_reveal
from scrm.models import Customer, CustomerImport, Role
from scrm.paginators import MAX_PER_PAGE
from scrm.text import MSG_UNSTORABLE
from sla.views import EARLIEST, LATEST, MSG_RANGE_BOUNDS
from tests.scrm.factories import UserFactory
from tests.tenancy import api_token, tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _api(user):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def _imported(organization, user, name, content):
    """Upload, check, confirm and apply a file, as the workers would."""
    batch = customer_import_upload(organization=organization, user=user, file=SimpleUploadedFile(name, content))
    batch = customer_import_validate(batch_id=batch.pk)
    customer_import_confirm(batch=batch, user=user)
    return customer_import_apply(batch_id=batch.pk)


# --- per_page -----------------------------------------------------------------------------------------------------

@pytest.fixture
def crowd(scoped):
    """More customers and tickets than the largest page, and a supervisor who sees them all."""
    Customer.objects.bulk_create([Customer(organization=scoped, display_name=f"客户{n}")
                                  for n in range(MAX_PER_PAGE + 20)])
    queue = QueueFactory(organization=scoped)
    customer = CustomerFactory(organization=scoped)
    for _n in range(MAX_PER_PAGE + 5):
        TicketFactory(organization=scoped, queue=queue, customer=customer)
    user = UserFactory(organization=scoped, roles=[Role.OPS_ADMIN, Role.SUPERVISOR])
    customers_log_reveal(customers=Customer.objects.all(), user=user, fields=("mobile",))
    return user


@pytest.mark.parametrize("path", ["/customers/", "/tickets/queues/", "/customers/reveals/"])
@pytest.mark.parametrize("per_page", ["60000", "-1", "0", "99999999999999999999", "abc"])
def test_per_page_is_clamped_on_every_list(crowd, path, per_page):
    response = _client(crowd).get(path, {"per_page": per_page})
    assert response.status_code == 200
    page = response.context["table"].page
    assert 1 <= len(page.object_list) <= MAX_PER_PAGE
    if per_page == "60000":
        assert len(page.object_list) == MAX_PER_PAGE


# --- the admin's PII-reveal list --------------------------------------------------------------------------------

def test_the_reveal_lists_user_filter_offers_only_the_organizations_own_users(db):
    def seed(tenant):
        for role, user in tenant.users.items():
            user.display_name = f"{tenant.marker} {role.value}"
            user.save(update_fields=["display_name"])
        customer = Customer.objects.create(organization=tenant.organization, display_name=f"{tenant.marker} 客户")
        customers_log_reveal(customers=[customer], user=tenant.users[Role.OPS_ADMIN], fields=("mobile",))

    a, b = tenant_pair(seed)
    response = _client(a.users[Role.OPS_ADMIN]).get("/admin/scrm/piireveal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "[tenant-a] ops_admin" in body
    # Only users who revealed something, and never another organization's.
    assert "[tenant-b]" not in body
    assert "[tenant-a] agent" not in body


# --- control characters: cleaned on the way in, tolerated on the way out ------------------------------------------

def test_the_api_cleans_control_characters_from_a_new_customer(scoped, ops_admin):
    response = _api(ops_admin).post("/api/v1/customers/", {"display_name": "张\x0b三\x1f", "notes": "备\x07注\n第二行"},
                                    format="json")
    assert response.status_code == 201, response.data
    customer = Customer.objects.get()
    assert (customer.display_name, customer.notes) == ("张三", "备注\n第二行")


def test_the_api_refuses_a_nul_in_a_name_and_stores_nothing(scoped, ops_admin):
    response = _api(ops_admin).post("/api/v1/customers/", {"display_name": "张\x00三"}, format="json")
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_an_import_cleans_control_characters_even_a_nul_after_the_first_8_kb(scoped, ops_admin):
    padding = "".join(f"填充{n},\r\n" for n in range(2000))  # ~16 KB of rows before the bad one
    content = ("姓名,备注\r\n" + padding + "王\x00五\x0b,备注\x01\r\n").encode()
    batch = _imported(scoped, ops_admin, "customers.csv", content)
    assert batch.status == CustomerImport.Status.APPLIED, batch.failure_detail
    assert Customer.objects.filter(display_name="王五", notes="备注").exists()
    assert not Customer.objects.filter(display_name__contains="\x0b").exists()


def test_an_xlsx_export_tolerates_control_characters_already_stored(scoped, ops_admin):
    Customer.objects.create(organization=scoped, display_name="旧\x0b数据", notes="\x01")
    response = _client(ops_admin).get("/customers/export/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["旧数据"]


# --- the API's other bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", [
    '{"nickname": "a\\u0000b"}',
    '{"nickname": "\\ud800"}',
    '{"\\udfff": "x"}',
    '{"nested": {"deeper": ["\\u0000"]}}',
])
def test_resolve_refuses_a_profile_that_cannot_be_stored(scoped, ops_admin, profile):
    body = '{"channel": "wechat_oa", "external_id": "openid-x", "profile": ' + profile + "}"
    response = _api(ops_admin).post("/api/v1/customers/resolve/", body, content_type="application/json")
    assert response.status_code == 400
    assert str(MSG_UNSTORABLE) in str(response.data["profile"])
    assert not Customer.objects.exists()


def test_resolve_cleans_control_characters_of_a_nickname(scoped, ops_admin):
    response = _api(ops_admin).post("/api/v1/customers/resolve/", {
        "channel": "wechat_oa", "external_id": "openid-x", "profile": {"nickname": "阳\x08光"}}, format="json")
    assert response.status_code == 200, response.data
    assert Customer.objects.get().display_name == "阳光"


@pytest.mark.parametrize(("field", "length"), [("app_id", 65), ("union_id", 129), ("mobile", 33)])
def test_resolve_refuses_an_identity_longer_than_its_column(scoped, ops_admin, field, length):
    response = _api(ops_admin).post("/api/v1/customers/resolve/", {
        "channel": "wechat_oa", "external_id": "openid-x", field: "9" * length}, format="json")
    assert response.status_code == 400 and field in response.data
    assert not Customer.objects.exists()


def test_the_api_caps_a_reply_like_the_web_form(scoped):
    queue = QueueFactory(organization=scoped, auto_assign=False)
    agent = make_agent(scoped, queues=[queue])
    ticket = TicketFactory(organization=scoped, queue=queue)
    api = _api(agent)
    for body in ("x" * (2 * 1024 * 1024), "长" * (Comment.BODY_MAX_LENGTH + 1)):
        response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": body}, format="json")
        assert response.status_code == 400
        assert "body" in response.data
    assert not Comment.objects.exists()
    response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "好" * Comment.BODY_MAX_LENGTH}, format="json")
    assert response.status_code == 201, response.data


# --- the SLA report's dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end"), [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-02"),
                                            ("2026-01-01", "9999-12-31")])
def test_the_sla_report_refuses_dates_out_of_bounds_with_a_form_error(scoped, start, end):
    supervisor = UserFactory(organization=scoped, roles=[Role.SUPERVISOR])
    for extra in ({}, {"format": "xlsx"}):
        response = _client(supervisor).get("/sla/report/",
                                           {"start": start, "end": end, "group_by": "queue", **extra})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert str(MSG_RANGE_BOUNDS % {"earliest": EARLIEST, "latest": LATEST}) in response.content.decode()


# --- import files that are not what they say ----------------------------------------------------------------------

def _workbook_parts():
    """The parts of a real two-row workbook, as {name: bytes}."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "手机"])
    workbook.active.append(["张三", "13812345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with(**replace):
    parts = _workbook_parts()
    for name, data in replace.items():
        name = "[Content_Types].xml" if name == "CT" else name.replace("__", "/").removesuffix("_xml") + ".xml"
        if data is None:
            parts.pop(name)
        else:
            parts[name] = data
    return _zip(parts)


def _bomb(cells=2 ** 24):
    """A workbook of a few hundred KB whose one sheet is a single row of `cells` cells (~250 MB unpacked), written
    as a stream so the test never holds it in memory."""
    parts = _workbook_parts()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><dimension ref="A1"/><sheetData><row r="1">')
            block = b"<c><v>1</v></c>" * 65536
            for _n in range(cells // 65536):
                sheet.write(block)
            sheet.write(b"</row></sheetData></worksheet>")
    return buffer.getvalue()


def _sheet(rows):
    cells = "".join(f'<row r="{n}">' + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row) + "</row>"
                    for n, row in enumerate(rows, start=1))
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode()


BAD_FILES = {
    "zip bomb": ("bomb.xlsx", _bomb, MSG_XLSX_ROW_CELLS % {"limit": "1,000"}),
    "a row too wide": ("wide.xlsx", lambda: _with(xl__worksheets__sheet1_xml=_sheet([["姓名"], ["x"] * 1001])),
                       MSG_XLSX_ROW_CELLS % {"limit": "1,000"}),
    "truncated zip": ("cut.xlsx", lambda: _with()[:-200], MSG_DAMAGED),
    "cut in the middle": ("half.xlsx", lambda: _with()[: len(_with()) // 2], MSG_DAMAGED),
    "not a zip": ("text.xlsx", lambda: b"PK\x03\x04 this is not a zip at all", MSG_DAMAGED),
    "zip without workbook": ("photos.xlsx", lambda: _zip({"photo.jpg": b"\xff\xd8\xff" + b"x" * 100}), MSG_DAMAGED),
    "no workbook part": ("noworkbook.xlsx", lambda: _with(xl__workbook_xml=None), MSG_DAMAGED),
    "wrong content types": ("types.xlsx", lambda: _with(CT=b"<Types xmlns='http://schemas.openxmlformats.org/"
                                                          b"package/2006/content-types'/>"), MSG_DAMAGED),
    "content types garbage": ("types2.xlsx", lambda: _with(CT=b"\x00garbage<<<"), MSG_DAMAGED),
    "sheet XML garbage": ("garbage.xlsx", lambda: _with(xl__worksheets__sheet1_xml=b"<worksheet><sheetData><row>"),
                          MSG_DAMAGED),
    "sheet XML not XML": ("binary.xlsx", lambda: _with(xl__worksheets__sheet1_xml=bytes(range(256)) * 4),
                          MSG_DAMAGED),
    "encrypted": ("secret.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
                  + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500, MSG_ENCRYPTED),
    "xls renamed": ("old.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, MSG_XLS_UNSUPPORTED),
    "empty": ("empty.xlsx", lambda: b"", None),
    "csv field over the limit": ("long.csv", lambda: ("姓名,备注\r\n张三,\"" + "x" * 140_000 + "\"\r\n").encode(),
                                 MSG_CSV_FIELD_TOO_LONG % {"limit": "131,072"}),
    "csv quote never closed": ("quote.csv", lambda: ("姓名,备注\r\n张三,\"" + "x\r\n" * 50_000).encode(),
                               MSG_CSV_FIELD_TOO_LONG % {"limit": "131,072"}),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_a_form_error_and_stores_nothing(scoped, ops_admin, case):
    name, build, message = BAD_FILES[case]
    response = _client(ops_admin).post("/customers/import/", {"file": SimpleUploadedFile(name, build())})
    assert response.status_code == 400
    if message is not None:
        with translation.override("zh-hans"):
            assert escape(str(message)) in response.content.decode()
    assert not CustomerImport.objects.exists()
    assert not Customer.objects.exists()


def test_a_workbook_over_the_cell_or_size_limits_is_refused_before_parsing(scoped, ops_admin, monkeypatch):
    content = _with(xl__worksheets__sheet1_xml=_sheet([["姓名", "手机"]] + [["张三", "1"]] * 20))
    monkeypatch.setattr(reading, "MAX_XLSX_CELLS", 30)
    with pytest.raises(CustomerImportRefused) as exc:
        customer_import_upload(organization=scoped, user=ops_admin, file=SimpleUploadedFile("c.xlsx", content))
    assert exc.value.code == "xlsx_cells"
    monkeypatch.setattr(reading, "MAX_XLSX_CELLS", 100)
    monkeypatch.setattr(reading, "MAX_XLSX_UNPACKED_BYTES", 1000)
    with pytest.raises(CustomerImportRefused) as exc:
        customer_import_upload(organization=scoped, user=ops_admin, file=SimpleUploadedFile("c.xlsx", content))
    assert exc.value.code == "xlsx_unpacked"
    assert not CustomerImport.objects.exists()


def test_a_sound_workbook_with_a_prefixed_namespace_still_imports(scoped, ops_admin):
    sheet = _sheet([["姓名"], ["王五"], ["赵六"]]).replace(b"<", b"<x:").replace(b"<x:/", b"</x:").replace(
        b"<x:?xml", b"<?xml").replace(b'xmlns="', b'xmlns:x="')
    batch = _imported(scoped, ops_admin, "prefixed.xlsx", _with(xl__worksheets__sheet1_xml=sheet))
    assert batch.status == CustomerImport.Status.APPLIED, batch.failure_code
    assert sorted(Customer.objects.values_list("display_name", flat=True)) == ["王五", "赵六"]
