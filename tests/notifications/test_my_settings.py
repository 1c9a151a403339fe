"""个人设置: a signed-in user's own page. Their language and which notifications are also emailed to them, saved
through the services; their name and email shown, kept by ops; anonymous visitors sent to sign in; a platform
operator sets only a language."""

import pytest

from notifications.models import Notification, NotificationPreference
from notifications.senders import EMAIL_KINDS
from notifications.services import email_kinds_sent
from scrm.models import Role, User
from scrm.platform.tenancy import platform_scope

pytestmark = pytest.mark.django_db

Kind = Notification.Kind
URL = "/accounts/settings/"
AGENT_DEFAULTS = ["assigned", "mentioned", "waiting", "rating_low"]  # EMAIL_KINDS an agent is offered


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=/accounts/settings/")


def test_the_user_menu_links_to_my_settings(client, organization, make_user):
    client.force_login(make_user(organization, Role.AGENT))
    body = client.get("/notifications/").content.decode()
    assert 'href="/accounts/settings/" data-testid="my-settings-link">个人设置<' in body


def test_an_agent_sees_the_defaults_in_chinese_with_the_in_app_and_escalation_notes(
        client, organization, make_user, django_assert_max_num_queries):
    agent = make_user(organization, Role.AGENT, email="xiaoli@example.com", display_name="小李")
    client.force_login(agent)

    with django_assert_max_num_queries(15):
        response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    checked = sorted(kind for kind in Kind.values if f'value="{kind}"' in body and _is_checked(body, kind))
    assert checked == sorted(AGENT_DEFAULTS)
    assert "工单分配给我" in body and "我的工单" in body and "SLA 时限" in body
    assert 'value="region_alert"' not in body  # finance's
    assert "站内通知始终开启" in body
    assert "SLA 升级步骤发送的企业微信和短信" in body
    assert "xiaoli@example.com" in body and "小李" in body
    assert "运营管理员" in body and "设置 → 用户" in body


def _is_checked(body, kind):
    start = body.index(f'value="{kind}"')
    tag = body[body.rindex("<input", 0, start):body.index(">", start)]
    return " checked" in tag


def test_turning_an_email_kind_off_is_saved_and_shown(client, organization, make_user):
    agent = make_user(organization, Role.AGENT, email="xiaoli@example.com")
    client.force_login(agent)

    response = client.post(URL, {"language": "zh-hans", "email_kinds": ["mentioned", "waiting", "rating_low",
                                                                         "sla_breach"]})

    assert response.status_code == 302 and response.url == URL
    assert email_kinds_sent(user=agent) == {Kind.MENTIONED, Kind.WAITING, Kind.RATING_LOW, Kind.SLA_BREACH,
                                            Kind.ESCALATED}
    page = client.get(URL).content.decode()
    assert "已保存你的设置" in page
    assert not _is_checked(page, "assigned") and _is_checked(page, "sla_breach")


def test_saving_without_a_change_writes_nothing_and_says_so(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)

    response = client.post(URL, {"language": "zh-hans", "email_kinds": AGENT_DEFAULTS}, follow=True)

    assert "没有改动" in response.content.decode()
    with platform_scope():
        assert not NotificationPreference.objects.exists()
        assert User.objects.get(pk=agent.pk).language == ""


def test_the_language_is_the_switchs_choice_and_this_browser_follows_it(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)

    response = client.post(URL, {"language": "en", "email_kinds": AGENT_DEFAULTS})

    with platform_scope():
        assert User.objects.get(pk=agent.pk).language == "en"
        assert not NotificationPreference.objects.exists()
    assert response.cookies["django_language"].value == "en"
    page = client.get(URL).content.decode()
    assert "My settings" in page and "Your settings are saved." in page


def test_a_kind_not_offered_or_an_unknown_language_is_refused_with_nothing_saved(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)

    response = client.post(URL, {"language": "xx", "email_kinds": ["region_alert"]})

    body = response.content.decode()
    assert response.status_code == 400
    assert body.count("不在可用的选项中") == 2  # the language and the kind, each under its field
    with platform_scope():
        assert not NotificationPreference.objects.exists()
        assert User.objects.get(pk=agent.pk).language == ""


def test_a_user_without_an_email_address_is_told_who_sets_one(client, organization, make_user):
    make_user(organization, Role.OPS_ADMIN, display_name="王运营")
    agent = make_user(organization, Role.AGENT, email="")
    client.force_login(agent)

    body = client.get(URL).content.decode()

    assert 'data-testid="my-no-email"' in body
    assert "邮件通知需要邮箱地址" in body and "王运营" in body


def test_another_users_settings_are_untouched(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    colleague = make_user(organization, Role.AGENT)
    client.force_login(agent)

    client.post(URL, {"language": "en", "email_kinds": []})

    assert email_kinds_sent(user=colleague) == EMAIL_KINDS
    with platform_scope():
        assert set(NotificationPreference.objects.values_list("user_id", flat=True)) == {agent.pk}
        assert User.objects.get(pk=colleague.pk).language == ""


def test_a_platform_operator_sets_only_a_language(client, db):
    with platform_scope():
        operator = User.objects.create_superuser("platform-operator", password="Sl0w-Turtle!")  # noqa: S106
    client.force_login(operator)

    page = client.get(URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="my-notifications-none"' in body and 'name="email_kinds"' not in body

    response = client.post(URL, {"language": "en"})
    assert response.status_code == 302
    with platform_scope():
        assert User.objects.get(pk=operator.pk).language == "en"


def test_a_browser_already_in_english_keeps_it_when_nothing_was_chosen(client, organization, make_user):
    agent = make_user(organization, Role.AGENT)
    client.force_login(agent)
    client.cookies["django_language"] = "en"

    page = client.get(URL).content.decode()
    response = client.post(URL, {"language": "en", "email_kinds": AGENT_DEFAULTS}, follow=True)

    assert '<option value="en" selected>' in page
    assert "Nothing changed: your settings are as they were." in response.content.decode()
    with platform_scope():
        assert User.objects.get(pk=agent.pk).language == ""


def test_finance_reads_no_note_about_sla_escalation_steps(client, organization, make_user):
    """Finance, who gets no SLA notification, read that an escalation step's WeCom and SMS go out whatever they
    choose."""
    client.force_login(make_user(organization, Role.FINANCE, email="cw@example.com"))
    body = client.get(URL).content.decode()
    assert 'value="region_alert"' in body
    assert 'data-testid="my-escalation-note"' not in body
