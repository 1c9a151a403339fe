"""A user's language is theirs, not their browser's: the language switch, signed in, keeps the choice on their
account, every browser they sign in on opens in it, and ops can set it on the user's settings page. Signed out, the
switch only sets this browser's cookie, as before."""

import pytest
from django.conf import settings
from django.test import Client

from scrm.errors import MSG_LANGUAGE_UNKNOWN, ScrmError
from scrm.models import Role, SettingsChange, User
from scrm.platform.tenancy import platform_scope, tenant_scope
from scrm.services import user_language_set
from tests.scrm.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _stored(user):
    with platform_scope():
        return User.objects.get(pk=user.pk).language


def _lang(response):
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def _sign_in(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return response


def test_the_service_keeps_a_language_the_product_offers_and_refuses_any_other(agent):
    user_language_set(user=agent, language="en")
    assert _stored(agent) == "en"

    with pytest.raises(ScrmError) as refused:
        user_language_set(user=agent, language="fr")
    assert str(refused.value) == MSG_LANGUAGE_UNKNOWN % {"language": "fr"}
    assert _stored(agent) == "en"  # nothing written

    user_language_set(user=agent, language="")  # back to the product's
    assert _stored(agent) == ""


def test_switching_while_signed_in_keeps_the_choice_on_the_account_and_sets_the_cookie(agent):
    client = Client()
    client.force_login(agent)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})

    assert response.status_code == 302 and response.url == "/tickets/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _stored(agent) == "en"
    assert _lang(client.get("/tickets/")) == "en"


def test_switching_while_signed_out_changes_only_this_browser(agent):
    user_language_set(user=agent, language="en")
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert _lang(client.get("/accounts/login/")) == "zh-hans"  # the sign-in page as chosen
    assert _stored(agent) == "en"  # nobody's account changed


def test_an_unknown_language_changes_nothing(agent):
    client = Client()
    client.force_login(agent)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/tickets/"})
    assert _stored(agent) == ""
    assert _lang(client.get("/tickets/")) == "zh-hans"


def test_a_new_browser_opens_in_the_language_chosen_on_another(agent):
    phone = Client()
    phone.force_login(agent)
    phone.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})

    laptop = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")  # never switched anything
    assert _lang(laptop.get("/accounts/login/")) == "zh-hans"  # signed out: still the product's
    response = _sign_in(laptop, agent)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _lang(laptop.get(response.url, follow=True)) == "en"
    assert _lang(laptop.get("/tickets/")) == "en"


def test_a_user_who_chose_nothing_signs_in_to_the_browsers_language(agent):
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # chosen on the sign-in page
    response = _sign_in(browser, agent)
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert _lang(browser.get("/tickets/")) == "en"

    fresh = Client()
    _sign_in(fresh, agent)
    assert _lang(fresh.get("/tickets/")) == "zh-hans"


def test_a_platform_operator_keeps_a_choice_too(organization):
    with platform_scope():
        operator = UserFactory(organization=None, roles=[Role.OPS_ADMIN], is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(operator)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    assert _stored(operator) == "en"


def test_ops_set_a_users_language_on_the_users_page(ops_admin, agent):
    client = Client()
    client.force_login(ops_admin)
    form = client.get(f"/settings/users/{agent.pk}/").content.decode()
    assert 'name="language"' in form and "默认（简体中文）" in form and ">English<" in form

    response = client.post(f"/settings/users/{agent.pk}/", {
        "display_name": "小李", "roles": ["agent"], "language": "en"})
    assert response.status_code == 302
    assert _stored(agent) == "en"
    assert client.get(f"/settings/users/{agent.pk}/").context["form"].initial["language"] == "en"
    with tenant_scope(agent.organization):
        change = SettingsChange.objects.filter(subject="scrm.user").latest("pk")
    assert change.detail["language"] == "en"

    response = client.post(f"/settings/users/{agent.pk}/", {
        "display_name": "小李", "roles": ["agent"], "language": "fr"})
    assert response.status_code == 400
    assert _stored(agent) == "en"

    client.post("/settings/users/new/", {"username": "newbie", "display_name": "新人", "roles": ["agent"],
                                         "language": "en"})
    with tenant_scope(agent.organization):
        assert User.objects.get(username="newbie").language == "en"
