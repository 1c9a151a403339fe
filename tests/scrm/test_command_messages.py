"""What the management commands tell an operator comes in the active language, from the messages tests import."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from scrm.errors import MSG_ADMIN_NEEDS_PASSWORD, MSG_CUSTOMERS_RENAMED, MSG_ORGANIZATION_CREATED
from scrm.models import Organization, User
from settlement.errors import MSG_ANY_CURRENCY

pytestmark = pytest.mark.django_db

NO_NOBODY = "没有标识为“nobody”的组织。"


@pytest.mark.parametrize("arguments", [
    ["add_channel_account", "--organization", "nobody", "--kind", "wecom", "--slug", "x", "--app-id", "wwcorp"],
    ["customers_rename_raw_ids", "--organization", "nobody"],
    ["set_accepted_currencies", "--organization", "nobody", "CNY"],
    ["seed_holidays", "--organization", "nobody"],
])
def test_a_command_naming_an_unknown_organization_says_so_in_chinese(arguments):
    with translation.override("zh-hans"), pytest.raises(CommandError) as raised:
        call_command(*arguments)
    assert str(raised.value) == NO_NOBODY


def test_seed_holidays_for_all_with_no_organization_does_not_name_a_slug():
    with translation.override("zh-hans"), pytest.raises(CommandError) as raised:
        call_command("seed_holidays", "--all")
    assert "None" not in str(raised.value)


def test_create_organization_refuses_an_admin_without_password_in_the_active_language_and_creates_nothing():
    with translation.override("zh-hans"), pytest.raises(CommandError) as raised:
        call_command("create_organization", "xinghe", "星河家电", "--admin", "boss")
    with translation.override("zh-hans"):
        assert str(raised.value) == str(MSG_ADMIN_NEEDS_PASSWORD)
    assert not Organization.objects.filter(slug="xinghe").exists()
    assert not User.all_objects.filter(username="boss").exists()


def test_command_reports_are_the_translated_messages(organization, capsys):
    with translation.override("zh-hans"):
        call_command("create_organization", "xinghe", "星河家电")
        call_command("customers_rename_raw_ids", "--organization", "acme")
        call_command("set_accepted_currencies", "--organization", "acme")
        out = capsys.readouterr().out
        assert str(MSG_ORGANIZATION_CREATED % {"slug": "xinghe", "name": "星河家电"}) in out
        assert str(MSG_CUSTOMERS_RENAMED % {"count": 0, "organization": "acme"}) in out
        assert str(MSG_ANY_CURRENCY % {"organization": "acme"}) in out
