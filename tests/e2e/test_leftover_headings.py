"""The last headings that broke on a laptop screen (1366 and 1280 wide): each on one line, in Chinese and English."""

import pytest
from playwright.sync_api import expect

from scrm.platform.tenancy import tenant_scope
from tests.e2e.conftest import login
from tests.e2e.test_list_layout import _assert_fits
from tests.forms_builder.factories import published_form
from tests.scrm.factories import TEST_PASSWORD

pytestmark = pytest.mark.e2e

WIDTHS = [("zh-hans", 1366), ("zh-hans", 1280), ("en", 1366), ("en", 1280)]


def _open(page, live_server, user, path, language, width):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, user.username, TEST_PASSWORD)
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(f"{live_server.url}{path}")


@pytest.mark.parametrize(("language", "width"), WIDTHS)
def test_the_forms_list_keeps_its_headings_on_one_line(page, live_server, organization, ops_admin, language,
                                                       width):
    """Beside the 新建表单 card the list had two thirds of the row: 当前版本, 版本, 提交记录 and the updated date each
    broke over two lines (Current version in English)."""
    with tenant_scope(organization):
        for n, name in enumerate(("空调安装预约登记表（华东区）", "售后维修上门服务满意度回访问卷", "报修")):
            published_form(organization, slug=f"form-{n}", name=name)
    _open(page, live_server, ops_admin, "/forms/", language, width)
    expect(page.locator("[data-testid=form-table] tbody tr")).to_have_count(3)
    _assert_fits(page, "form-table", width)
