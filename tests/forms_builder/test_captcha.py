"""The captcha a form may ask for beside its honeypot (django-simple-captcha: picture made here, answer in our
database, one try each): without the right answer nothing is stored, and the page says why."""

import re

import pytest
from captcha.models import CaptchaStore
from django.urls import reverse

from forms_builder.errors import MSG_CAPTCHA_WRONG
from forms_builder.models import FormSubmission
from forms_builder.services import form_settings_save
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form, repair_schema
from tickets.models import Ticket

GOOD = {"name": "李四", "mobile": "13900001111", "problem": "fault", "fault_code": "E07"}
URL = reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"})


@pytest.fixture
def guarded(organization, repair):
    with tenant_scope(organization):
        return form_settings_save(form=repair, edit_days=0, captcha=True, webhook_url="")


def _challenge(client):
    page = client.get(URL).content.decode()
    assert 'data-testid="form-captcha"' in page
    key = re.search(r'name="_captcha-captcha_0" value="([0-9a-f]{40})"', page).group(1)
    assert f"/captcha/image/{key}/" in page
    return key


def _nothing_stored(organization):
    with tenant_scope(organization):
        return not FormSubmission.objects.exists() and not Ticket.objects.exists()


def test_without_the_captcha_nothing_is_stored_and_the_page_says_why(client, organization, guarded):
    _challenge(client)
    refused = client.post(URL, GOOD)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert str(MSG_CAPTCHA_WRONG) in page and 'data-testid="form-captcha"' in page
    assert 'value="E07"' in page  # the answers are kept on the page
    assert _nothing_stored(organization)


def test_a_wrong_answer_is_refused_and_the_picture_is_used_up(client, organization, guarded):
    key = _challenge(client)
    refused = client.post(URL, {**GOOD, "_captcha-captcha_0": key, "_captcha-captcha_1": "wrong"})
    assert refused.status_code == 400 and str(MSG_CAPTCHA_WRONG) in refused.content.decode()
    assert not CaptchaStore.objects.filter(hashkey=key).exists()  # one try per picture
    assert _nothing_stored(organization)


def test_the_right_answer_lets_the_submission_through(client, organization, guarded):
    key = _challenge(client)
    answer = CaptchaStore.objects.get(hashkey=key).response
    assert client.get(f"/captcha/image/{key}/").status_code == 200  # the picture is drawn here
    sent = client.post(URL, {**GOOD, "_captcha-captcha_0": key, "_captcha-captcha_1": answer.upper()})
    assert sent.status_code == 302
    with tenant_scope(organization):
        assert FormSubmission.objects.count() == 1


def test_a_form_without_the_captcha_asks_for_none(client, organization):
    with tenant_scope(organization):
        published_form(organization, schema=repair_schema())
    assert 'data-testid="form-captcha"' not in client.get(URL).content.decode()
    assert client.post(URL, GOOD).status_code == 302
