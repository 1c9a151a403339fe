"""Customers created and edited by hand (a walk-in, a wrong mobile), through the services, with a warning when
the mobile already belongs to someone; the API writes through the same services."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from scrm.customers.forms import MSG_MOBILE_HELD
from scrm.customers.serializers import MSG_MOBILE_HELD_API
from scrm.customers.services import customer_create
from scrm.models import Customer, PiiReveal, Role
from scrm.platform.tenancy import tenant_scope
from tests.tenancy import api_token

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _reload(customer):
    with tenant_scope(customer.organization_id):
        customer.refresh_from_db()


@pytest.fixture
def known(organization):
    with tenant_scope(organization):
        return customer_create(organization=organization, display_name="王小明", real_name="王明",
                               mobile="13812345678")


def test_an_agent_adds_a_customer_and_lands_on_their_page(organization, agent):
    response = _client(agent).post("/customers/new/", {"display_name": "李女士", "mobile": "139 0000 1111",
                                                       "level": "vip", "notes": "到店客户"})
    with tenant_scope(organization):
        customer = Customer.objects.get(display_name="李女士")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.mobile, customer.level, customer.source_channel) == ("+8613900001111", "vip", "manual")


def test_a_known_mobile_warns_and_saves_only_when_told_it_is_someone_else(organization, agent, known):
    client = _client(agent)
    post = {"display_name": "王先生", "mobile": "13812345678", "level": "normal"}
    response = client.post("/customers/new/", post)
    assert response.status_code == 400  # refused until told: the same page, the warning in it
    body = response.content.decode()
    assert 'data-testid="duplicate-warning"' in body and f'href="/customers/{known.pk}/"' in body
    with translation.override("zh-hans"):
        assert escape(str(MSG_MOBILE_HELD) % {"name": "王小明"}) in body
    with tenant_scope(organization):
        assert Customer.objects.count() == 1
    assert client.post("/customers/new/", {**post, "keep_duplicate_mobile": "on"}).status_code == 302
    with tenant_scope(organization):
        assert Customer.objects.filter(mobile="+8613812345678").count() == 2


def test_the_edit_page_never_shows_personal_data_and_empty_keeps_it(organization, agent, known):
    client = _client(agent)
    page = client.get(f"/customers/{known.pk}/edit/").content.decode()
    assert "13812345678" not in page and "王明" not in page and "138****5678" in page
    response = client.post(f"/customers/{known.pk}/edit/", {"display_name": "王小明（老客户）", "mobile": "",
                                                            "real_name": "", "level": "svip"})
    assert response.status_code == 302
    _reload(known)
    assert (known.display_name, known.level) == ("王小明（老客户）", "svip")
    assert (known.mobile, known.real_name) == ("+8613812345678", "王明")
    with tenant_scope(organization):
        assert not PiiReveal.objects.exists()

    client.post(f"/customers/{known.pk}/edit/", {"display_name": "王小明", "mobile": "13700001111",
                                                  "level": "svip"})
    _reload(known)
    assert known.mobile == "+8613700001111"


def test_a_bad_mobile_is_a_clear_error_and_nothing_changes(organization, agent, known):
    response = _client(agent).post(f"/customers/{known.pk}/edit/", {"display_name": "x", "mobile": "12345",
                                                                      "level": "normal"})
    assert response.status_code == 400 and response.context["form"].errors["mobile"]
    _reload(known)
    assert known.display_name == "王小明"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FINANCE])
def test_roles_that_may_not_change_customers_are_refused(organization, make_user, known, role):
    client = _client(make_user(organization, role))
    assert client.get("/customers/new/").status_code == 403
    assert client.post(f"/customers/{known.pk}/edit/", {"display_name": "x", "level": "normal"}).status_code == 403
    _reload(known)
    assert known.display_name == "王小明"


def test_a_merged_record_cannot_be_edited(organization, agent, known):
    with tenant_scope(organization):
        other = customer_create(organization=organization, display_name="重复的王小明")
        Customer.objects.filter(pk=other.pk).update(merged_into=known)
    assert _client(agent).get(f"/customers/{other.pk}/edit/").status_code == 404


def test_the_api_writes_through_the_same_services(organization, agent, known):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(agent)}")
    created = api.post("/api/v1/customers/", {"display_name": "接口客户", "mobile": "+86 137 0000 2222"},
                       format="json")
    assert created.status_code == 201 and created.data["mobile"] == "137****2222"
    with tenant_scope(organization):
        assert Customer.objects.get(pk=created.data["id"]).source_channel == "manual"
    patched = api.patch(f"/api/v1/customers/{known.pk}/", {"level": "vip", "source_channel": "youzan"},
                        format="json")
    assert patched.status_code == 200
    _reload(known)
    assert (known.level, known.source_channel) == ("vip", "manual")  # read-only fields stay as they are


def test_the_api_refuses_a_known_mobile_as_the_page_does_unless_told_it_is_someone_else(organization, agent, known):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(agent)}")
    other = api.post("/api/v1/customers/", {"display_name": "李女士"}, format="json").data["id"]

    created = api.post("/api/v1/customers/", {"display_name": "王先生", "mobile": "138 1234 5678"}, format="json")
    patched = api.patch(f"/api/v1/customers/{other}/", {"mobile": "13812345678"}, format="json")

    for response in (created, patched):
        assert response.status_code == 400
        assert response.data["mobile"] == [str(MSG_MOBILE_HELD_API % {"name": "王小明"})]
    with tenant_scope(organization):
        assert Customer.objects.filter(mobile="+8613812345678").count() == 1
    # The customer's own mobile is not "held by someone else"; and told it is someone else, the API saves it.
    assert api.patch(f"/api/v1/customers/{known.pk}/", {"mobile": "13812345678"}, format="json").status_code == 200
    assert api.post("/api/v1/customers/", {"display_name": "王先生", "mobile": "13812345678",
                                           "keep_duplicate_mobile": True}, format="json").status_code == 201
    with tenant_scope(organization):
        assert Customer.objects.filter(mobile="+8613812345678").count() == 2


def _api(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def test_the_api_caps_notes_as_the_edit_page_does_in_the_same_words(organization, agent, known):
    from scrm.customers.services import CUSTOMER_NOTES_MAX_LENGTH

    too_long = "记" * (CUSTOMER_NOTES_MAX_LENGTH + 1)
    page = _client(agent).post(f"/customers/{known.pk}/edit/", {"display_name": "王小明", "level": "normal",
                                                                "notes": too_long})
    api = _api(agent)
    patched = api.patch(f"/api/v1/customers/{known.pk}/", {"notes": too_long}, format="json")
    created = api.post("/api/v1/customers/", {"display_name": "长备注", "notes": too_long}, format="json")

    said = page.context["form"].errors["notes"]
    assert page.status_code == 400 and "5000" in said[0]
    for response in (patched, created):
        assert response.status_code == 400
        assert response.data["notes"] == said
    _reload(known)
    assert known.notes == ""
    with tenant_scope(organization):
        assert not Customer.objects.filter(display_name="长备注").exists()
    ok = api.patch(f"/api/v1/customers/{known.pk}/", {"notes": "记" * CUSTOMER_NOTES_MAX_LENGTH}, format="json")
    assert ok.status_code == 200


def test_an_empty_mobile_or_real_name_in_a_patch_keeps_them_as_the_edit_page_does(organization, agent, known):
    response = _api(agent).patch(f"/api/v1/customers/{known.pk}/", {"mobile": "", "real_name": "",
                                                                    "level": "vip"}, format="json")

    assert response.status_code == 200, response.data
    _reload(known)
    assert (known.mobile, known.real_name, known.level) == ("+8613812345678", "王明", "vip")


def test_setting_an_owner_who_may_not_own_customers_is_refused_by_the_service(organization, make_user, agent, known):
    from scrm.customers.services import customers_set_owner
    from scrm.errors import MSG_OWNER_NOT_ALLOWED, ScrmError

    finance = make_user(organization, Role.FINANCE, username="caiwu", display_name="财务小张")
    with tenant_scope(organization), pytest.raises(ScrmError) as refused:
        customers_set_owner(customers=[known], owner=finance)
    assert str(refused.value) == str(MSG_OWNER_NOT_ALLOWED % {"name": "财务小张"})
    _reload(known)
    assert known.owner_id is None
    with tenant_scope(organization):
        assert customers_set_owner(customers=[known], owner=agent) == 1
    _reload(known)
    assert known.owner_id == agent.pk
