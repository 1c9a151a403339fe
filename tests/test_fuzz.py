"""Fuzzing the inputs people and programs control: random query strings and form posts on the pages (hypothesis),
and every operation of the API as its own schema describes it (schemathesis, from /api/schema/), as a signed-in user
of one organization. Whatever the input: never a 500.

The example counts are bounded and the generation derandomised (the same examples each run, so a failure here is a
regression, not luck): the whole file runs in well under a minute.
"""

import contextvars
import json

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django_scopes.state import state as scope_state
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from scrm.models import Customer, Role
from scrm.platform.tenancy import tenant_scope
from scrm.wsgi import application
from tests.scrm.factories import UserFactory
from tests.tenancy import api_token
from tests.tickets.factories import QueueFactory, TicketFactory, make_agent

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text as a hostile or careless client sends it: control characters, NUL, huge and negative numbers, dates far away.
# (No lone surrogates: a query string or form post cannot carry them; the API tests send them as JSON escapes.)
_nasty = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from(["-1", "0", "99999999999999999999", "1e9", "NaN", "9999-12-31", "0001-01-01", "2026-02-30",
                     "\x00", "' OR 1=1 --", "-created_at", "__class__", "../../etc/passwd", "%00",
                     "长" * 300]),
    st.integers().map(str),
)
_LIST_KEYS = ["q", "level", "tag", "tags", "owner", "region", "status", "priority", "channel", "queue", "assignee",
              "sort", "page", "per_page", "segment", "pool", "sla", "start", "end", "group_by", "format", "type"]


@pytest.fixture
def world(organization):
    """One organization's user who holds every role, with a customer, a queue they work in and a ticket. No scope
    stays open: each request opens its own, as on a server (the API's requests go straight to the WSGI app)."""
    with tenant_scope(organization):
        user = UserFactory(organization=organization, username="fuzzer",
                           roles=[Role.OPS_ADMIN, Role.SUPERVISOR, Role.AGENT, Role.FINANCE])
        queue = QueueFactory(organization=organization, auto_assign=False)
        agent = make_agent(organization, queues=[queue], username="fuzz-agent")
        customer = Customer.objects.create(organization=organization, display_name="模糊测试客户")
        ticket = TicketFactory(organization=organization, queue=queue, customer=customer)
    return {"user": user, "agent": agent, "ticket": ticket, "customer": customer}


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@FUZZ
@given(path=st.sampled_from(["/customers/", "/tickets/queues/", "/tickets/", "/customers/reveals/", "/sla/report/",
                             "/customers/export/", "/tickets/board/", "/settings/", "/forms/"]),
       query=st.dictionaries(st.sampled_from(_LIST_KEYS), _nasty, max_size=5))
def test_list_pages_never_answer_500(world, path, query):
    response = _client(world["user"]).get(path, query)
    assert response.status_code < 500, (path, query)


@FUZZ
@given(action=st.sampled_from(["reply", "transfer", "split", "status", "priority", "assign", "merge"]),
       data=st.dictionaries(st.sampled_from(["body", "public", "queue", "reason", "subject", "description",
                                             "status", "priority", "assignee", "primary"]), _nasty, max_size=4))
def test_ticket_forms_never_answer_500(world, action, data):
    client = _client(world["agent"])
    response = client.post(f"/tickets/{world['ticket'].pk}/{action}/", data)
    assert response.status_code < 500, (action, data)


@settings(FUZZ, max_examples=25)
@given(name=st.sampled_from(["c.csv", "c.xlsx", "c.txt", "c.xls", "c.tsv", "c", "c.xlsm"]),
       content=st.one_of(st.binary(max_size=300),
                         st.text(max_size=300).map(lambda t: ("姓名,手机\r\n" + t).encode()),
                         st.just(b"PK\x03\x04" + b"\x00" * 50)))
def test_the_import_form_never_answers_500(world, name, content):
    response = _client(world["user"]).post("/customers/import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code < 500, (name, content)


# --- the API, from its own schema ------------------------------------------------------------------------------


def _api_schema():
    """The schema /api/schema/ serves (to signed-in users only), generated when the module is collected: no server,
    no database, no user yet."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


# Only the random (fuzzing) phase, whose example count is bounded; the coverage phase's hundreds of cases per
# operation would take minutes. Requests go to the WSGI app itself.
schema = schemathesis.openapi.from_dict(
    _api_schema(), config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}))
schema.app = application


@pytest.fixture
def _requests_in_this_transaction():
    """Requests go through the WSGI app in this thread, inside the test's transaction: like Django's test client,
    the request signals must not close the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(FUZZ, max_examples=12)
def test_the_api_never_answers_500(case, world, _requests_in_this_transaction):
    # Random ids only ever find nothing (404): aim the detail and action operations at the organization's rows.
    if case.path_parameters and "id" in case.path_parameters:
        rows = {"tickets": world["ticket"], "customers": world["customer"], "users": world["user"]}
        row = rows.get(case.path.split("/")[3])
        if row is not None:
            case.path_parameters = {**case.path_parameters, "id": row.pk}
    headers = {"Authorization": f"Token {api_token(world['user'])}"}

    def call():  # as on a server thread: the WSGI app starts the request with no scope (the test holds one)
        scope_state.set(None)
        return case.call(headers=headers)

    response = contextvars.copy_context().run(call)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
