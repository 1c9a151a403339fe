"""The cascading region field: the organization's own regions only, a region with nothing below it (or at the level
the field asks for), checked by the server whatever the page sent; the tree embedded in the public page and preview."""

import json
import re

import pytest
from django.urls import reverse

from forms_builder.errors import FormError
from forms_builder.models import FormSubmission
from forms_builder.schema import schema_problems
from forms_builder.services import form_submit
from scrm.platform.tenancy import tenant_scope
from scrm.services.people import region_create
from tests.forms_builder.factories import published_form
from tests.scrm.factories import OrganizationFactory


def _schema(**region):
    return {"sections": [{"key": "s", "fields": [
        {"key": "name", "type": "text", "label": "姓名"},
        {"key": "where", "type": "region", "label": "所在地区", "required": True, **region}]}]}


@pytest.fixture
def tree(organization):
    with tenant_scope(organization):
        east = region_create(organization=organization, name="华东", code="E", level="area")
        js = region_create(organization=organization, name="江苏", code="JS", level="province", parent=east)
        nj = region_create(organization=organization, name="南京", code="NJ", level="city", parent=js)
        sh = region_create(organization=organization, name="上海", code="SH", level="province", parent=east)
    other = OrganizationFactory(slug="other")
    with tenant_scope(other):
        foreign = region_create(organization=other, name="华南", code="S", level="area")
    return {"east": east, "js": js, "nj": nj, "sh": sh, "foreign": foreign}


def _submit(organization, form, region):
    with tenant_scope(organization):
        return form_submit(form=form, data={"name": "张三", "where": region.pk})


def test_without_a_depth_only_a_region_with_nothing_below_it_is_stored(organization, tree):
    with tenant_scope(organization):
        form = published_form(organization, slug="leaf", purpose="survey", schema=_schema())

    assert _submit(organization, form, tree["nj"]).data["where"] == tree["nj"].pk
    assert _submit(organization, form, tree["sh"]).data["where"] == tree["sh"].pk  # a province with no city
    for refused in ("js", "east", "foreign"):
        with pytest.raises(FormError) as error:
            _submit(organization, form, tree[refused])
        assert "where" in error.value.problems
    with tenant_scope(organization):
        assert FormSubmission.objects.count() == 2


def test_a_depth_asks_for_that_level(organization, tree):
    with tenant_scope(organization):
        form = published_form(organization, slug="province", purpose="survey", schema=_schema(depth=2))

    assert _submit(organization, form, tree["js"]).data["where"] == tree["js"].pk
    for refused in ("nj", "east", "foreign"):
        with pytest.raises(FormError):
            _submit(organization, form, tree[refused])


def test_the_depth_is_checked_by_the_meta_schema():
    assert schema_problems(_schema(depth=0))
    assert schema_problems(_schema(depth="2"))
    assert not schema_problems(_schema(depth=3))


def test_the_public_page_embeds_the_tree_and_refuses_a_hand_crafted_region(client, organization, tree):
    with tenant_scope(organization):
        published_form(organization, slug="where", purpose="survey", schema=_schema())
    url = reverse("forms_public:form", kwargs={"org": "acme", "slug": "where"})
    html = client.get(url).content.decode()

    embedded = json.loads(re.search(r'<script id="public-form-regions" type="application/json">(.*?)</script>',
                                    html).group(1))
    assert [name for _id, _parent, name in embedded] == ["华东", "江苏", "南京", "上海"]
    assert "华南" not in html
    assert 'data-region-cascade="1"' in html
    assert f'<option value="{tree["js"].pk}"' not in html  # the answer select offers only what is accepted

    refused = client.post(url, {"name": "张三", "where": tree["js"].pk})
    assert refused.status_code == 400 and 'data-testid="error-where"' in refused.content.decode()
    assert client.post(url, {"name": "张三", "where": tree["foreign"].pk}).status_code == 400
    assert client.post(url, {"name": "张三", "where": tree["nj"].pk}).status_code == 302


def test_a_form_without_region_fields_embeds_no_tree(client, organization, tree):
    from tests.forms_builder.factories import repair_schema

    with tenant_scope(organization):
        published_form(organization, slug="repair", schema=repair_schema())
    html = client.get(reverse("forms_public:form", kwargs={"org": "acme", "slug": "repair"})).content.decode()

    assert "public-form-regions" not in html


def test_the_editor_preview_embeds_the_tree(client, ops_admin, organization, tree):
    with tenant_scope(organization):
        form = published_form(organization, slug="where", purpose="survey", schema=_schema())
    client.force_login(ops_admin)
    preview = client.post(reverse("forms_builder:form-preview", args=[form.pk]), json.dumps({"schema": _schema()}),
                          content_type="application/json").content.decode()

    assert 'id="preview-form-regions"' in preview and "南京" in preview
