"""The public form's budget per address behind a reverse proxy: the client address comes from X-Forwarded-For only
when AXES_PROXY_COUNT says how many proxies of ours stand in front (scrm.platform.http.client_ip)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from forms_builder.errors import MSG_RATE_LIMITED
from forms_builder.models import FormSubmission
from scrm.platform.http import client_ip
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}
PROXY = "10.0.0.5"


@pytest.fixture
def repair(organization):
    with tenant_scope(organization):
        return published_form(organization)


def _post(client, customer):
    return client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"}), GOOD,
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=customer)


def test_without_the_setting_everyone_behind_the_proxy_shares_its_budget(client, repair, organization, settings):
    settings.FORMS_SUBMIT_LIMIT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 0

    assert _post(client, "203.0.113.7").status_code == 302
    refused = _post(client, "198.51.100.9")  # another customer, same proxy: the header is not trusted

    assert refused.status_code == 429 and str(MSG_RATE_LIMITED) in refused.content.decode()
    with tenant_scope(organization):
        assert list(FormSubmission.objects.values_list("ip", flat=True)) == [PROXY]


def test_with_one_trusted_proxy_each_customer_has_a_budget_of_their_own(client, repair, organization, settings):
    settings.FORMS_SUBMIT_LIMIT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 1

    assert _post(client, "203.0.113.7").status_code == 302
    assert _post(client, "198.51.100.9").status_code == 302
    # A client that writes its own header gains nothing: the proxy appends the address it saw, which is what counts.
    assert _post(client, "192.0.2.1, 203.0.113.7").status_code == 429

    with tenant_scope(organization):
        assert sorted(FormSubmission.objects.values_list("ip", flat=True)) == ["198.51.100.9", "203.0.113.7"]


@pytest.mark.parametrize(("count", "header", "expected"), [
    (0, "203.0.113.7", PROXY),
    (1, "", PROXY),  # no header: the proxy itself (a health check)
    (1, "not-an-address", PROXY),
    (2, "203.0.113.7, 10.0.0.4", "203.0.113.7"),
    (2, "10.0.0.4", PROXY),  # shorter than the proxies we trust: nothing in it is ours
    (1, "2001:db8::1", "2001:db8::1"),
])
def test_client_ip_reads_the_header_only_as_far_as_our_proxies_wrote_it(settings, count, header, expected):
    settings.AXES_IPWARE_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)

    assert client_ip(request) == expected


def test_sign_in_lockouts_read_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.AXES_IPWARE_PROXY_COUNT = 1
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert get_client_ip_address(request) == "203.0.113.7"
