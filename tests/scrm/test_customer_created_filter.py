"""The customer list's "Created" range is two date pickers (<input type="date">) keeping the ISO dates a browser
sends, and those dates filter the list in Chinese as in English (scrm.filters.date_range, as on finance's lists)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from scrm.customers.services import customer_create
from scrm.models import Customer, Role
from tests.settlement.test_date_filters import date_boxes

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in English leaves English active in this thread: the next test module would read it."""
    yield
    translation.deactivate()


def _client(user, language):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_created_range_is_two_date_pickers_keeping_the_iso_dates_typed(scoped, make_user, language):
    client = _client(make_user(scoped, Role.AGENT), language)
    response = client.get("/customers/?created_after=2026-10-01&created_before=2026-10-31")
    assert response.status_code == 200
    assert date_boxes(response.content.decode(), "created") == {"created_after": ("date", "2026-10-01"),
                                                                "created_before": ("date", "2026-10-31")}
    empty = client.get("/customers/").content.decode()
    assert date_boxes(empty, "created") == {"created_after": ("date", None), "created_before": ("date", None)}
    assert 'type="date" name="created_after" class="form-control"' in empty


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_iso_dates_a_date_picker_sends_filter_the_customers_by_their_day_in_shanghai(scoped, make_user,
                                                                                        language):
    early = customer_create(organization=scoped, display_name="十月客户", mobile="13812340001")
    late = customer_create(organization=scoped, display_name="十一月客户", mobile="13812340002")
    # 1 November 00:30 in Shanghai is still 31 October in UTC: the day is Shanghai's.
    Customer.objects.filter(pk=early.pk).update(created_at=datetime(2026, 10, 3, 12, 0, tzinfo=SHANGHAI))
    Customer.objects.filter(pk=late.pk).update(created_at=datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI))
    client = _client(make_user(scoped, Role.AGENT), language)

    def listed(query):
        response = client.get(f"/customers/?{query}")
        assert response.status_code == 200 and not response.context["filter"].form.errors
        body = response.content.decode()
        return [customer.pk for customer in (early, late) if f"/customers/{customer.pk}/" in body]

    assert listed("created_after=2026-10-01&created_before=2026-10-31") == [early.pk]
    assert listed("created_after=2026-11-01") == [late.pk]
    assert listed("created_before=2026-11-01") == [early.pk, late.pk]
