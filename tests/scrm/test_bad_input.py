"""Bad input on the pages and the API of the core app and the workspace: each answers with a clear error (or a
bounded page), stores nothing, and never a 500."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from scrm.models import Customer, CustomerImport, Role
from scrm.paginators import MAX_PER_PAGE
from scrm.services.customer_import import (
    customer_import_apply,
    customer_import_confirm,
    customer_import_upload,
    customer_import_validate,
)
from scrm.services.customers import customers_log_reveal
from scrm.text import MSG_UNSTORABLE
from tests.scrm.factories import UserFactory
from tests.tenancy import api_token, tenant_pair
from tests.tickets.factories import CustomerFactory, QueueFactory, TicketFactory, make_agent
from tickets.models import Comment
from tickets.views_sla import EARLIEST, LATEST, MSG_RANGE_BOUNDS

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
