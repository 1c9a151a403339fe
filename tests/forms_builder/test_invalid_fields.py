"""A refused public form shows which box to fix, not only a message under it: every control of a refused field
has Bootstrap's red `is-invalid`, says `aria-invalid="true"` and names its error text with `aria-describedby`, for
every type of field the editor offers. A field that was answered well stays as it was."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from forms_builder.engine import MSG_AGREE, MSG_REQUIRED
from forms_builder.schema import FieldType
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form

OPTIONS = [{"value": "a", "label": "甲"}, {"value": "b", "label": "乙"}]
# One required field of each type that takes an answer (info blocks take none).
REQUIRED = {
    "t_text": {"type": FieldType.TEXT, "help": "写全名"},
    "t_textarea": {"type": FieldType.TEXTAREA},
    "t_number": {"type": FieldType.NUMBER},
    "t_money": {"type": FieldType.MONEY},
    "t_date": {"type": FieldType.DATE},
    "t_datetime": {"type": FieldType.DATETIME},
    "t_single": {"type": FieldType.SINGLE_CHOICE, "options": OPTIONS},
    "t_multi": {"type": FieldType.MULTI_CHOICE, "options": OPTIONS},
    "t_dropdown": {"type": FieldType.DROPDOWN, "options": OPTIONS},
    "t_region": {"type": FieldType.REGION},
    "t_mobile": {"type": FieldType.MOBILE},
    "t_email": {"type": FieldType.EMAIL},
    "t_code": {"type": FieldType.CODE},
    "t_rating": {"type": FieldType.RATING},
    "t_file": {"type": FieldType.FILE},
    "t_agree": {"type": FieldType.AGREEMENT},
}
SCHEMA = {"sections": [{"key": "s", "fields": [
    {"key": "intro", "type": FieldType.INFO, "label": "说明"},
    *({"key": key, "label": key, "required": True, **spec} for key, spec in REQUIRED.items()),
    {"key": "t_optional", "type": FieldType.TEXT, "label": "备注"},
    {"key": "t_good", "type": FieldType.TEXT, "label": "已答", "required": True},
]}]}


class Controls(HTMLParser):
    """Every input, select and textarea of the page by name, every element's attributes by id, and the elements
    with an ARIA role."""

    def __init__(self):
        super().__init__()
        self.by_name, self.by_id, self.roles = {}, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("role"):
            self.roles.append(attrs)
        if attrs.get("id"):
            self.by_id[attrs["id"]] = attrs
        if tag in ("input", "select", "textarea") and attrs.get("name") and attrs.get("type") != "hidden":
            self.by_name.setdefault(attrs["name"], []).append(attrs)


@pytest.fixture
def refused_page(client, organization):
    with tenant_scope(organization):
        published_form(organization, slug="everything", purpose="survey", schema=SCHEMA)
    response = client.post(reverse("forms_public:form", kwargs={"org": "acme", "slug": "everything"}),
                           {"t_good": "有"})
    assert response.status_code == 400
    html = response.content.decode()
    page = Controls()
    page.feed(html)
    return html, page


@pytest.mark.parametrize("key", REQUIRED)
def test_each_refused_field_is_marked_red_and_names_its_error(refused_page, key):
    html, page = refused_page
    controls = page.by_name[key]
    assert controls  # a radio or checkbox group: each of its boxes
    for control in controls:
        assert "is-invalid" in control.get("class", "").split(), control
        assert control.get("aria-invalid") == "true", control
        assert f"id_{key}_error" in control.get("aria-describedby", "").split(), control
    error = f'id="id_{key}_error"><div class="invalid-feedback d-block" data-testid="error-{key}">'
    message = MSG_AGREE if key == "t_agree" else MSG_REQUIRED
    assert f"{error}{message}</div>" in html


def test_the_help_text_stays_described_beside_the_error(refused_page):
    _html, page = refused_page
    (control,) = page.by_name["t_text"]
    assert control["aria-describedby"].split() == ["id_t_text_helptext", "id_t_text_error"]
    assert "id_t_text_helptext" in page.by_id


@pytest.mark.parametrize("key", ["t_single", "t_multi", "t_rating"])
def test_a_refused_group_says_so_as_a_group(refused_page, key):
    _html, page = refused_page
    group = next(attrs for attrs in page.roles if attrs.get("aria-labelledby") == f"id_{key}_label")
    assert group["aria-invalid"] == "true" and group["aria-describedby"] == f"id_{key}_error"
    assert f"id_{key}_label" in page.by_id


@pytest.mark.parametrize("key", ["t_optional", "t_good"])
def test_a_field_answered_well_or_left_optional_is_not_marked(refused_page, key):
    html, page = refused_page
    (control,) = page.by_name[key]
    assert "is-invalid" not in control.get("class", "").split()
    assert "aria-invalid" not in control and "aria-describedby" not in control
    assert f"id_{key}_error" not in html
