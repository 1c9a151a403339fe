import pytest

from scrm.customers.phones import InvalidMobile, mask_mobile, mask_name, normalize_mobile
from scrm.customers.services import customer_create, customer_resolve
from scrm.models import Channel, ChannelIdentity, Customer, CustomerConflict
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def resolve(org, external_id, **kwargs):
    return customer_resolve(organization=org, channel=kwargs.pop("channel", Channel.WECHAT_OA), app_id="wx-app",
                            external_id=external_id, **kwargs)


@pytest.mark.parametrize("typed", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", " 138-1234-5678 "])
def test_mobiles_are_normalised_however_they_are_typed(typed):
    assert normalize_mobile(typed) == "+8613812345678"


@pytest.mark.parametrize("bad", ["12345", "1381234567", "abc", "+86 999 9999 9999"])
def test_malformed_mobiles_are_refused_with_a_clear_message(bad):
    with pytest.raises(InvalidMobile, match="not a valid mobile number|不是有效的手机号"):
        normalize_mobile(bad)


def test_masking():
    assert mask_mobile("+8613812345678") == "138****5678"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("") == ""


def test_a_customer_with_no_name_is_called_by_the_channel_and_the_last_four_characters_never_the_raw_id(
        organization):
    assert resolve(organization, "oNBtestUser0001").display_name == "微信用户0001"
    assert resolve(organization, "wm-ext-7788", channel=Channel.WECOM).display_name == "微信用户7788"
    assert resolve(organization, "buyer-55501", channel=Channel.YOUZAN).display_name == "有赞客户5501"


def test_the_same_identity_resolves_to_the_same_customer(organization):
    first = resolve(organization, "openid-1", profile={"nickname": "阳光"})
    again = resolve(organization, "openid-1")
    assert first.pk == again.pk
    assert first.display_name == "阳光"
    with tenant_scope(organization):
        assert ChannelIdentity.objects.count() == 1


def test_a_second_channel_with_the_same_union_id_joins_the_customer(organization):
    oa = resolve(organization, "oa-openid", union_id="union-1")
    mini = resolve(organization, "mini-openid", union_id="union-1", channel=Channel.WECOM)
    assert oa.pk == mini.pk
    with tenant_scope(organization):
        assert set(ChannelIdentity.objects.filter(customer=oa).values_list("external_id", flat=True)) == {
            "oa-openid", "mini-openid"}


def test_a_shop_buyer_with_a_known_mobile_joins_the_customer(organization):
    known = customer_create(organization=organization, display_name="张伟", mobile="13812345678")
    buyer = resolve(organization, "buyer-9", channel=Channel.YOUZAN, mobile="+86 138 1234 5678")
    assert buyer.pk == known.pk


def test_an_invalid_mobile_from_a_channel_does_not_block_the_customer(organization):
    customer = resolve(organization, "openid-2", mobile="not-a-phone")
    assert customer.mobile == ""


def test_identities_are_per_organization(organization):
    with platform_scope():
        from tests.scrm.factories import OrganizationFactory

        other = OrganizationFactory(slug="other")
    a = resolve(organization, "same-openid")
    b = resolve(other, "same-openid")
    assert a.pk != b.pk and a.organization_id != b.organization_id


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_resolves_of_one_new_identity_make_one_customer(organization):
    results = run_at_once([lambda: resolve(organization, "racing-openid", union_id="racing-union").pk] * 50)
    assert len(results) == 50 and len(set(results)) == 1
    with tenant_scope(organization):
        assert Customer.objects.count() == 1
        assert ChannelIdentity.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_identities_of_one_person_arriving_together_make_one_customer(organization):
    """Different openids sharing a union id, resolved at the same moment, still become one customer."""
    results = run_at_once([lambda n=n: resolve(organization, f"openid-{n}", union_id="one-person").pk
                           for n in range(20)])
    assert len(set(results)) == 1
    with tenant_scope(organization):
        assert Customer.objects.count() == 1
        assert ChannelIdentity.objects.count() == 20


# --- what resolve learns ---------------------------------------------------------------------------------------------

def test_a_mobile_learned_through_a_union_id_is_stored_so_the_shop_buyer_with_it_joins_the_same_customer(
        organization):
    """Issue 10 point 10: a WeChat identity matched by union id brings a mobile; the shop buyer with that mobile is
    then the same customer, not a second one."""
    oa = resolve(organization, "oa-openid", union_id="union-7")
    assert oa.mobile == ""
    mini = resolve(organization, "mini-openid", union_id="union-7", channel=Channel.WECOM, mobile="13812345678")
    assert mini.pk == oa.pk
    with tenant_scope(organization):
        assert Customer.objects.get(pk=oa.pk).mobile == "+8613812345678"
    buyer = resolve(organization, "buyer-1", channel=Channel.YOUZAN, mobile="138 1234 5678")
    assert buyer.pk == oa.pk
    with tenant_scope(organization):
        assert Customer.objects.count() == 1


def test_a_mobile_arriving_later_on_a_known_identity_is_stored(organization):
    customer = resolve(organization, "openid-5")
    resolve(organization, "openid-5", mobile="13900000001")
    with tenant_scope(organization):
        assert Customer.objects.get(pk=customer.pk).mobile == "+8613900000001"
        assert not CustomerConflict.objects.exists()


def test_a_known_mobile_is_not_overwritten_by_another_one(organization):
    customer = resolve(organization, "openid-6", mobile="13900000001")
    resolve(organization, "openid-6", mobile="13900000002")
    with tenant_scope(organization):
        assert Customer.objects.get(pk=customer.pk).mobile == "+8613900000001"


def test_a_mobile_that_belongs_to_someone_else_is_flagged_for_the_merge_screen_not_moved(organization):
    other = customer_create(organization=organization, display_name="张伟", mobile="13812345678")
    customer = resolve(organization, "openid-7", union_id="union-8")
    again = resolve(organization, "openid-7", union_id="union-8", mobile="13812345678")
    assert again.pk == customer.pk != other.pk
    resolve(organization, "openid-7", mobile="13812345678")  # the same news twice flags once
    with tenant_scope(organization):
        assert Customer.objects.get(pk=customer.pk).mobile == ""
        conflict = CustomerConflict.objects.get()
        assert (conflict.customer_id, conflict.other_id, conflict.kind, conflict.value) == (
            customer.pk, other.pk, CustomerConflict.Kind.MOBILE, "+8613812345678")


def test_a_union_id_that_belongs_to_someone_else_is_flagged(organization):
    holder = resolve(organization, "oa-openid-9", union_id="union-9")
    customer = resolve(organization, "buyer-9", channel=Channel.YOUZAN)  # a separate customer so far
    resolve(organization, "buyer-9", channel=Channel.YOUZAN, union_id="union-9")
    with tenant_scope(organization):
        assert ChannelIdentity.objects.get(external_id="buyer-9").union_id == "union-9"
        conflict = CustomerConflict.objects.get()
        assert (conflict.customer_id, conflict.other_id, conflict.kind) == (
            customer.pk, holder.pk, CustomerConflict.Kind.UNION_ID)
