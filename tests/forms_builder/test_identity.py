"""WeChat identity and the CRM binding: a form link signed for a customer (made by our code, e.g. a canned reply's
{form:<slug>}) prefills the form from their profile and links the submission to them; what the bound fields answer
goes back to their profile (mobile, region, tags) through the customer services. A token that does not verify
links nothing, says nothing, and never reaches another customer."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from forms_builder.errors import FormError
from forms_builder.models import FormSubmission
from forms_builder.schema import MSG_BAD_BINDING, schema_validate
from forms_builder.services import customer_form_link, form_settings_save, form_submit, submission_edit
from forms_builder.tokens import IDENTITY_SALT, identity_customer_id, identity_token
from scrm.models import Customer, TagGroup
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form
from tests.scrm.factories import RegionFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import CannedResponse
from tickets.services import canned_response_render

URL = reverse("forms_public:form", kwargs={"org": "acme", "slug": "service"})


def service_schema():
    return {"sections": [{"key": "s1", "fields": [
        {"key": "name", "type": "text", "label": "姓名", "bind": "customer.name", "required": True},
        {"key": "mobile", "type": "mobile", "label": "手机", "bind": "customer.mobile", "required": True},
        {"key": "area", "type": "region", "label": "所在地区", "bind": "customer.region"},
        {"key": "labels", "type": "multi_choice", "label": "您的身份", "bind": "customer.tags",
         "options": [{"value": "VIP", "label": "VIP 会员"}, {"value": "老客户", "label": "老客户"},
                     {"value": "没有这个标签", "label": "其他"}]},
        {"key": "problem", "type": "textarea", "label": "问题"},
    ]}]}


@pytest.fixture
def world(organization):
    with tenant_scope(organization):
        form = published_form(organization, slug="service", schema=service_schema(), name="服务登记")
        group = TagGroup.objects.create(organization=organization, name="客户类型")
        vip = group.tags.create(organization=organization, name="VIP")
        old = group.tags.create(organization=organization, name="老客户")
        east = RegionFactory(organization=organization, name="华东")
        south = RegionFactory(organization=organization, name="华南")
        customer = CustomerFactory(organization=organization, display_name="王小明", mobile="+8613800001111",
                                   region=east)
        customer.tags.add(old, through_defaults={"organization": organization})
        other = CustomerFactory(organization=organization, display_name="赵六", mobile="+8613700002222")
    return {"form": form, "customer": customer, "other": other, "vip": vip, "old": old, "east": east,
            "south": south}


def _token_of(link):
    return parse_qs(urlsplit(link).query)["wx"][0]


def test_the_signed_link_prefills_from_the_profile_and_writes_back(client, organization, world):
    customer = world["customer"]
    with tenant_scope(organization):
        link = customer_form_link(form=world["form"], customer=customer)
    assert link.startswith("http") and "/f/acme/service/?wx=" in link
    token = _token_of(link)

    page = client.get(f"{URL}?wx={token}").content.decode()
    # Name and mobile only masked, as placeholders: the link may be forwarded, its sender may not see them.
    assert "王小明" not in page and "13800001111" not in page
    assert "138****1111" in page and "王**" in page
    assert f'<option value="{world["east"].pk}" selected>' in page
    assert re.search(r'<input type="checkbox" name="labels" value="老客户"[^>]*checked', page)
    assert not re.search(r'<input type="checkbox" name="labels" value="VIP"[^>]*checked', page)
    assert f'name="_wx" value="{token}"' in page

    sent = client.post(URL, {"_wx": token, "name": "王小明", "mobile": "13900009999", "area": world["south"].pk,
                             "labels": ["VIP"], "problem": "热水器漏水"})

    assert sent.status_code == 302
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.customer == customer and submission.customer_verified
        customer.refresh_from_db()
        assert customer.mobile == "+8613900009999" and customer.region == world["south"]
        assert set(customer.tags.values_list("name", flat=True)) == {"VIP"}  # 老客户 unticked: taken away
        assert Customer.objects.count() == 2  # nobody new was made for it


def test_the_canned_link_page_never_holds_the_full_name_or_mobile(client, organization, world, agent):
    # The agent who sends {form:service} may lack the right to reveal the mobile; whoever opens it reads no more.
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, customer=world["customer"])
        canned = CannedResponse.objects.create(organization=organization, title="登记", body="请填写 {form:service}")
        body = canned_response_render(canned=canned, ticket=ticket, agent=agent)
    link = urlsplit(body.split(" ", 1)[1])

    page = client.get(f"{link.path}?{link.query}").content.decode()

    assert "王小明" not in page and "13800001111" not in page and "8613800001111" not in page
    assert re.search(r'name="mobile"[^>]*placeholder="[^"]*138\*\*\*\*1111', page) or \
        re.search(r'placeholder="[^"]*138\*\*\*\*1111[^"]*"[^>]*name="mobile"', page)
    assert 'name="mobile" value=' not in page and 'name="name" value=' not in page


def test_bound_name_and_mobile_left_empty_are_the_verified_customers(client, organization, world):
    customer = world["customer"]
    with tenant_scope(organization):
        token = identity_token(form=world["form"], customer=customer)

    sent = client.post(URL, {"_wx": token, "name": "", "mobile": " ", "problem": "热水器漏水"})

    assert sent.status_code == 302  # the required bound fields pass: they are the customer's
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.customer == customer and submission.customer_verified
        assert submission.data["name"] == "王小明" and submission.data["mobile"] == "+8613800001111"
        customer.refresh_from_db()
        assert customer.mobile == "+8613800001111"


def test_typed_name_and_mobile_are_taken_over_the_profile(client, organization, world):
    customer = world["customer"]
    with tenant_scope(organization):
        token = identity_token(form=world["form"], customer=customer)

    assert client.post(URL, {"_wx": token, "name": "王大明", "mobile": "13900009999"}).status_code == 302

    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.data["name"] == "王大明" and submission.data["mobile"] == "+8613900009999"
        customer.refresh_from_db()
        assert customer.mobile == "+8613900009999"  # written back, as designed


def test_without_a_token_an_empty_required_mobile_is_refused(client, organization, world):
    page = client.post(URL, {"name": "路人", "mobile": ""})

    assert page.status_code == 400
    with tenant_scope(organization):
        assert not FormSubmission.objects.exists()


def test_an_invalid_or_expired_token_is_ignored_without_a_word(client, organization, world):
    with tenant_scope(organization):
        token = identity_token(form=world["form"], customer=world["customer"])
    answers = {"name": "路人", "mobile": "13600003333", "problem": "问问"}

    for bad in ("garbage", token[:-3] + "abc"):
        page = client.get(f"{URL}?wx={bad}").content.decode()
        assert 'value="王小明"' not in page and 'name="_wx"' not in page
        assert client.post(URL, {**answers, "_wx": bad}).status_code == 302
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        assert client.post(URL, {**answers, "_wx": token}).status_code == 302

    with tenant_scope(organization):
        submissions = list(FormSubmission.objects.all())
        assert len(submissions) == 3 and not any(s.customer_verified for s in submissions)
        # An intake form still files each under the customer its answers give (the mobile typed): never 王小明.
        assert {s.customer.display_name for s in submissions} == {"路人"}
        world["customer"].refresh_from_db()
        assert world["customer"].mobile == "+8613800001111"


def test_a_tampered_token_never_links_another_customer(client, organization, world):
    with tenant_scope(organization):
        token = identity_token(form=world["form"], customer=world["customer"])
    claims = signing.loads(token, salt=IDENTITY_SALT)
    # Someone swaps the customer id in the payload but cannot sign it: the token is refused as a whole.
    forged = signing.dumps({**claims, "c": world["other"].pk}, salt="guessed-salt", compress=True)
    header, _sep, tail = token.partition(":")
    spliced = f"{forged.partition(':')[0]}:{tail}"
    for bad in (forged, spliced):
        client.post(URL, {"name": "王小明", "mobile": "13800001111", "_wx": bad})
    with tenant_scope(organization):
        assert not FormSubmission.objects.filter(customer=world["other"]).exists()
        assert not FormSubmission.objects.filter(customer_verified=True).exists()


def test_a_token_for_another_form_links_nothing_here(client, organization, world):
    with tenant_scope(organization):
        elsewhere = published_form(organization, slug="other-form", schema=service_schema(), name="别的表")
        token = identity_token(form=elsewhere, customer=world["customer"])
    client.post(URL, {"name": "某人", "mobile": "13600004444", "_wx": token})
    with tenant_scope(organization):
        assert not FormSubmission.objects.get().customer_verified


def test_a_customer_guessed_from_a_typed_mobile_is_never_written_to(client, organization, world):
    # No token: the intake form finds 王小明 by the mobile typed, but anyone can type it.
    client.post(URL, {"name": "冒名者", "mobile": "13800001111", "area": world["south"].pk, "labels": ["VIP"]})
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.customer == world["customer"] and not submission.customer_verified
        world["customer"].refresh_from_db()
        assert world["customer"].region == world["east"]
        assert set(world["customer"].tags.values_list("name", flat=True)) == {"老客户"}


def test_a_canned_reply_carries_the_customers_signed_link(organization, world, agent):
    with tenant_scope(organization):
        ticket = TicketFactory(organization=organization, customer=world["customer"])
        canned = CannedResponse.objects.create(organization=organization, title="登记",
                                               body="请填写 {form:service} ，{form:nope} 不存在")
        text = canned_response_render(canned=canned, ticket=ticket, agent=agent)
    link = text.split(" ")[1]
    assert "/f/acme/service/?wx=" in link and "{form:nope}" in text
    assert identity_customer_id(_token_of(link), form=world["form"]) == world["customer"].pk


def test_staff_edits_write_back_too(organization, world, ops_admin):
    with tenant_scope(organization):
        form_settings_save(form=world["form"], edit_days=0, captcha=False, webhook_url="")
        submission = form_submit(form=world["form"], customer=world["customer"],
                                 data={"name": "王小明", "mobile": "13800001111", "labels": ["老客户"]})
        submission_edit(submission=submission, actor=ops_admin,
                        data={"name": "王小明", "mobile": "13800001111", "labels": ["老客户", "VIP"]})
        assert set(world["customer"].tags.values_list("name", flat=True)) == {"老客户", "VIP"}


def test_a_binding_must_fit_its_field_type():
    schema = service_schema()
    schema["sections"][0]["fields"][2]["type"] = "text"  # a text field cannot hold a region
    with pytest.raises(FormError) as refused:
        schema_validate(schema)
    assert refused.value.problems == [("sections/0/fields/2/bind", MSG_BAD_BINDING % {"bind": "customer.region"})]
