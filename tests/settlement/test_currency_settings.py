"""The settings page of the currencies the ledger accepts: finance and ops read it, those who may change the ledger
settings change it through `ledger_currencies_set`, every change is in the settings audit trail, and a code that is
not ISO 4217 is refused with a message naming it (nothing written)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from settlement.errors import MSG_NOT_ISO_4217, SettlementError
from settlement.models import LedgerSettings
from settlement.services import ledger_currencies_set

pytestmark = pytest.mark.django_db

URL = "/settlement/currencies/"


def _stored(organization):
    with tenant_scope(organization):
        settings = LedgerSettings.objects.first()
        changes = list(SettingsChange.objects.filter(subject="settlement.ledgersettings").order_by("pk"))
    return (settings.accepted_currencies if settings else None), changes


@pytest.mark.parametrize("role", [Role.FINANCE, Role.OPS_ADMIN])
def test_finance_and_ops_set_the_accepted_currencies_and_the_change_is_audited(client, organization, make_user,
                                                                              role):
    user = make_user(organization, role, username=f"u-{role.value}")
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200 and 'data-testid="currencies-form"' in page.content.decode()
    response = client.post(URL, {"currencies": "hkd， cny CNY"})
    assert response.status_code == 302
    accepted, changes = _stored(organization)
    assert accepted == "CNY,HKD"
    assert [(c.action, c.by_id, c.detail) for c in changes] == [
        ("created", user.pk, {"accepted_currencies": {"before": "", "after": "CNY,HKD"}})]
    client.post(URL, {"currencies": "CNY,HKD"})  # no change: no audit row
    client.post(URL, {"currencies": ""})
    accepted, changes = _stored(organization)
    assert accepted == "" and [c.action for c in changes] == ["created", "changed"]
    assert "CNY,HKD" in client.get(URL).content.decode()  # the trail shows on the page


def test_a_code_that_is_not_iso_4217_is_refused_with_a_clear_message_and_nothing_written(client, organization,
                                                                                        make_user):
    client.force_login(make_user(organization, Role.FINANCE, username="fin"))
    ledger_currencies_set(organization=organization, currencies=["CNY"])
    response = client.post(URL, {"currencies": "CNY, RMB, usd, XYZ"})
    assert response.status_code == 400
    assert str(MSG_NOT_ISO_4217 % {"codes": "RMB, XYZ"}) in response.content.decode()
    accepted, changes = _stored(organization)
    assert accepted == "CNY" and len(changes) == 1
    with pytest.raises(SettlementError):
        ledger_currencies_set(organization=organization, currencies=["EURO"])
    with pytest.raises(CommandError):
        call_command("set_accepted_currencies", "--organization", organization.slug, "CNH")
    assert _stored(organization)[0] == "CNY"


def test_others_may_neither_read_nor_change_the_setting(client, organization, make_user):
    for role in (Role.AGENT, Role.SUPERVISOR, Role.VIEWER):
        client.force_login(make_user(organization, role, username=f"x-{role.value}"))
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"currencies": "USD"}).status_code == 403
    assert _stored(organization) == (None, [])


def test_a_role_that_may_only_read_the_setting_sees_it_without_the_form(client, organization, make_user, ops_admin):
    from scrm.models import DataScope
    from scrm.services import role_assign, role_save

    ledger_currencies_set(organization=organization, currencies=["CNY"], by=ops_admin)
    clerk = make_user(organization, Role.VIEWER, username="clerk")
    with tenant_scope(organization):
        role = role_save(organization=organization, by=ops_admin, name="只读财务",
                         permissions=["settlement.view_ledgersettings"], modules=["settlement"],
                         data_scope=DataScope.ORGANIZATION, masked_fields=[])
        role_assign(role=role, user=clerk, by=ops_admin)
    client.force_login(clerk)
    page = client.get(URL)
    assert page.status_code == 200
    assert "CNY" in page.content.decode() and 'data-testid="currencies-form"' not in page.content.decode()
    assert client.post(URL, {"currencies": "USD"}).status_code == 403
    assert _stored(organization)[0] == "CNY"
