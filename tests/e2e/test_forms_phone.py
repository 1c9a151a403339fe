"""The public form as a customer meets it: on a phone, inside WeChat's browser, tapping with a thumb. Each test is
something a customer would report: a page that scrolls sideways, a button too small to hit, a second ticket from a
second tap, a photo silently dropped, an error they cannot see."""

import pytest
from captcha.models import CaptchaStore
from playwright.sync_api import expect

from forms_builder.errors import MSG_FORM_PAUSED
from forms_builder.models import FormSubmission
from forms_builder.services import form_settings_save, form_submit
from forms_builder.views_public import thanks_url
from scrm.models import Organization
from scrm.platform.tenancy import platform_scope, tenant_scope
from tests.forms_builder.factories import published_form

pytestmark = pytest.mark.e2e

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/86.0.4240.99 XWEB/4365 MMWEBSDK/20221012 Mobile Safari/537.36 MicroMessenger/8.0.30.2260 "
             "WeChat/arm64 Weixin NetType/WIFI Language/zh_CN")
MIN_TAP_PX = 40

SURVEY = {"sections": [{"key": "s", "fields": [
    {"key": "rating", "type": "rating", "label": "整体满意度", "required": True},
    {"key": "why", "type": "multi_choice", "label": "哪些方面可以改进？",
     "options": [{"value": "speed", "label": "响应速度"}, {"value": "skill", "label": "工程师技术"},
                 {"value": "price", "label": "收费"}]},
    {"key": "agree", "type": "agreement", "label": "我同意回访", "required": True},
]}]}


def phone_page(browser, live_server, width=375):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 667},
                                  device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
                                  user_agent=WECHAT_UA, timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context.new_page()


def _submissions(organization):
    with tenant_scope(organization):
        return FormSubmission.objects.count()


@pytest.fixture
def survey(organization):
    with tenant_scope(organization):
        return published_form(organization, slug="survey", purpose="survey", schema=SURVEY, name="满意度调查")


def test_the_rating_stars_fit_a_320px_phone_as_five_big_buttons(browser, live_server, organization, survey):
    page = phone_page(browser, live_server, width=320)
    try:
        page.goto("/f/acme/survey/")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        stars = page.locator("[data-testid=field-rating] label.btn")
        expect(stars).to_have_count(5)
        tops = set()
        for n in range(5):
            box = stars.nth(n).bounding_box()
            assert box["height"] >= MIN_TAP_PX and box["width"] >= MIN_TAP_PX
            assert box["x"] + box["width"] <= 320
            tops.add(round(box["y"]))
        assert len(tops) == 1  # one row of five, not four and a stray one
        # Only the buttons show: no bare radio circle beside each of them.
        assert page.locator("input[name=rating]").evaluate_all("""radios => radios.every(radio => {
            const r = radio.getBoundingClientRect();
            return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) !== radio;
        })""")
        stars.nth(3).tap()
        expect(page.locator("input[name=rating][value='4']")).to_be_checked()
    finally:
        page.context.close()


def test_every_box_and_option_row_is_big_enough_for_a_thumb(browser, live_server, organization, survey):
    with tenant_scope(organization):
        published_form(organization)  # the repair form: text, mobile, dropdown, money, file
    page = phone_page(browser, live_server)
    try:
        for path in ("/f/acme/repair/", "/f/acme/survey/"):
            page.goto(path)
            page.click("[data-testid=rating-rating-2]") if "survey" in path else None
            small = page.evaluate("""min => Array.from(document.querySelectorAll(
                    '#public-form input:not([type=hidden]):not([type=radio]):not([type=checkbox]), '
                    + '#public-form select, #public-form textarea, #public-form .form-check'))
                .filter(e => e.offsetParent !== null && !e.closest('.visually-hidden'))
                .filter(e => e.getBoundingClientRect().height < min)
                .map(e => (e.name || e.textContent.trim()) + ' ' + Math.round(e.getBoundingClientRect().height))""",
                                  MIN_TAP_PX)
            assert small == [], path
        # A tap anywhere on an option's row, not only on its small box, ticks it.
        row = page.locator("[data-testid=field-why] .form-check").first
        box = row.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] - 10, box["y"] + box["height"] / 2)
        expect(page.locator("input[name=why][value=speed]")).to_be_checked()
    finally:
        page.context.close()


def test_two_quick_taps_on_submit_send_the_form_once(browser, live_server, organization, survey):
    page = phone_page(browser, live_server)
    try:
        page.goto("/f/acme/survey/")
        page.click("[data-testid=rating-rating-5]")
        page.click("[data-testid=field-agree] label")
        # Count the submissions that really leave the page: a listener on window runs after the page's own.
        sent = page.evaluate("""() => {
            let sent = 0;
            window.addEventListener("submit", event => { if (!event.defaultPrevented) { sent += 1; } });
            const button = document.querySelector("[data-testid=form-submit]");
            button.click();
            button.click();
            return sent;
        }""")
        assert sent == 1
        page.wait_for_url("**/thanks/?*")
        expect(page.locator("[data-testid=form-thanks]")).to_be_visible()
        assert _submissions(organization) == 1
        # Back from the thanks page, the button works again.
        page.go_back()
        expect(page.locator("[data-testid=form-submit]")).to_be_enabled()
    finally:
        page.context.close()


def test_a_photo_sent_with_a_refused_page_is_asked_for_again_beside_its_box(browser, live_server, organization,
                                                                            tmp_path):
    with tenant_scope(organization):
        published_form(organization)
    photo = tmp_path / "漏水.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"\0" * 2000)
    page = phone_page(browser, live_server)
    try:
        page.goto("/f/acme/repair/")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=mobile]", "1234")  # a mistake
        page.select_option("select[name=problem]", "install")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("[data-testid=form-submit]")
        expect(page.locator("[data-testid=error-mobile]")).to_be_visible()
        note = page.locator("[data-testid=field-photo] [data-testid=note-photo]")
        expect(note).to_be_visible()
        expect(note).to_contain_text("漏水.jpg")
        assert _submissions(organization) == 0

        page.fill("input[name=mobile]", "13812345678")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("[data-testid=form-submit]")
        page.wait_for_url("**/thanks/?*")
    finally:
        page.context.close()
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert submission.data["photo"]["name"] == "漏水.jpg"


def test_a_refused_page_opens_on_the_field_to_fix_not_at_the_top(browser, live_server, organization, tmp_path):
    with tenant_scope(organization):
        published_form(organization)
    wrong = tmp_path / "说明.txt"
    wrong.write_text("不是照片")
    page = phone_page(browser, live_server)
    try:
        page.goto("/f/acme/repair/")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=mobile]", "13812345678")
        page.select_option("select[name=problem]", "install")
        page.set_input_files("input[name=photo]", str(wrong))  # the last field: screens below the top
        page.click("[data-testid=form-submit]")
        error = page.locator("[data-testid=error-photo]")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport(ratio=1)
        assert _submissions(organization) == 0
    finally:
        page.context.close()


def test_a_photo_over_the_size_is_refused_when_chosen_not_after_uploading_it(browser, live_server, organization,
                                                                            tmp_path):
    with tenant_scope(organization):
        published_form(organization)  # 照片: at most 1 MB
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024))
    page = phone_page(browser, live_server)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    try:
        page.goto("/f/acme/repair/")
        page.set_input_files("input[name=photo]", str(big))
        error = page.locator("[data-testid=field-photo] [data-testid=error-photo]")
        expect(error).to_be_visible()
        expect(error).to_contain_text("1 MB")
        assert page.locator("input[name=photo]").evaluate("input => input.files.length") == 0
        assert posts == [] and _submissions(organization) == 0
        # A photo that fits takes the message away.
        small = tmp_path / "small.jpg"
        small.write_bytes(b"\xff\xd8\xff" + b"\0" * 2000)
        page.set_input_files("input[name=photo]", str(small))
        expect(error).to_have_count(0)
    finally:
        page.context.close()


def test_the_public_pages_load_none_of_the_staff_apps_scripts(browser, live_server, organization, survey):
    page = phone_page(browser, live_server)
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(
        (request.resource_type, request.url, request.sizes()["responseBodySize"])))
    try:
        for path, done in (("/f/acme/survey/", "[data-testid=form-submit]"),
                           ("/f/acme/survey/thanks/", "[data-testid=form-thanks]")):
            loaded.clear()
            page.goto(path)
            expect(page.locator(done)).to_be_visible()
            page.wait_for_load_state("networkidle")
            scripts = [url for kind, url, _size in loaded if kind == "script"]
            assert not any("htmx" in url or "bootstrap.bundle" in url for url in scripts), scripts
            assert sum(size for kind, _url, size in loaded if kind == "script") < 20_000, path
            assert not any("bootstrap-icons" in url for _kind, url, _size in loaded), path
            assert not any(kind == "font" for kind, _url, _size in loaded), path
        expect(page.locator("[data-testid=thanks-check]")).to_be_visible()
    finally:
        page.context.close()


def test_a_text_field_that_takes_the_customers_mobile_opens_the_number_pad(browser, live_server, organization):
    schema = {"sections": [{"key": "s", "fields": [
        {"key": "phone", "type": "text", "label": "联系电话", "bind": "customer.mobile", "required": True},
        {"key": "name", "type": "text", "label": "姓名"}]}]}
    with tenant_scope(organization):
        published_form(organization, slug="callback", schema=schema)
    page = phone_page(browser, live_server)
    try:
        page.goto("/f/acme/callback/")
        phone = page.locator("input[name=phone]")
        expect(phone).to_have_attribute("inputmode", "tel")
        expect(phone).to_have_attribute("autocomplete", "tel")
        assert page.locator("input[name=name]").get_attribute("inputmode") is None  # a name keeps the letters
    finally:
        page.context.close()


def test_a_captcha_picture_is_big_enough_to_read_and_can_be_swapped_for_another(browser, live_server, organization):
    schema = {"sections": [{"key": "s", "fields": [
        {"key": "name", "type": "text", "label": "姓名", "required": True}]}]}
    with tenant_scope(organization):
        form = published_form(organization, slug="callback", schema=schema)
        form_settings_save(form=form, edit_days=0, captcha=True, webhook_url="")
    page = phone_page(browser, live_server, width=320)
    try:
        page.goto("/f/acme/callback/")
        picture = page.locator("[data-testid=form-captcha] img.captcha")
        expect(picture).to_be_visible()
        assert picture.bounding_box()["height"] >= 48
        key = page.locator("input[name='_captcha-captcha_0']")
        first_key, first_src = key.input_value(), picture.get_attribute("src")

        refresh = page.locator("[data-testid=captcha-refresh]")
        assert refresh.bounding_box()["height"] >= MIN_TAP_PX
        refresh.tap()
        expect(key).not_to_have_value(first_key)
        expect(picture).not_to_have_attribute("src", first_src)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # The new picture's answer is the one that counts.
        page.fill("input[name=name]", "张三")
        page.fill("input[name='_captcha-captcha_1']", CaptchaStore.objects.get(hashkey=key.input_value()).response)
        page.click("[data-testid=form-submit]")
        page.wait_for_url("**/thanks/?*")
    finally:
        page.context.close()
    assert _submissions(organization) == 1


def test_wechats_title_bar_names_the_company_not_our_product(browser, live_server, organization, survey):
    page = phone_page(browser, live_server)
    try:
        for path in ("/f/acme/survey/", "/f/acme/survey/thanks/"):
            page.goto(path)
            expect(page).to_have_title("满意度调查 · 艾克美电器")
    finally:
        page.context.close()


def test_a_suspended_companys_form_says_it_takes_no_answers_for_now(browser, live_server, organization, survey):
    page = phone_page(browser, live_server, width=320)
    try:
        # Opened before the platform suspends the company, sent after: refused, nothing stored, and said why.
        page.goto("/f/acme/survey/")
        page.click("[data-testid=rating-rating-5]")
        page.click("[data-testid=field-agree] label")
        with platform_scope():
            Organization.objects.filter(pk=organization.pk).update(is_active=False)
        with page.expect_navigation() as sent:
            page.click("[data-testid=form-submit]")
        assert sent.value.status == 503
        expect(page.locator("[data-testid=form-closed]")).to_have_text(str(MSG_FORM_PAUSED))
        assert _submissions(organization) == 0

        response = page.goto("/f/acme/survey/")
        assert response.status == 503
        expect(page.locator("[data-testid=form-closed]")).to_have_text(str(MSG_FORM_PAUSED))
        expect(page.locator("[data-testid=form-title]")).to_have_text("满意度调查")
        expect(page.locator("[data-testid=public-form]")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # A form the company never had is still not found.
        assert page.goto("/f/acme/nothing-here/").status == 404
    finally:
        page.context.close()


def test_the_edit_link_shows_the_mobile_as_the_customer_typed_it(browser, live_server, organization):
    """The number was typed 13812345678 and the page to change the answers gave it back as +8613812345678."""
    with tenant_scope(organization):
        form = published_form(organization)
        form_settings_save(form=form, edit_days=3, captcha=False, webhook_url="")
    page = phone_page(browser, live_server)
    try:
        page.goto("/f/acme/repair/")
        page.fill("input[name=name]", "张三")
        page.fill("input[name=mobile]", "13812345678")
        page.select_option("select[name=problem]", "install")
        page.click("[data-testid=form-submit]")
        page.wait_for_url("**/thanks/?*")
        page.click("[data-testid=form-edit-link]")
        expect(page.locator("[data-testid=form-editing]")).to_be_visible()
        expect(page.locator("input[name=mobile]")).to_have_value("13812345678")
        page.fill("textarea[name=detail]", "安装位置在阳台")
        page.click("[data-testid=form-submit]")
        expect(page.locator("[data-testid=form-edited]")).to_be_visible()
    finally:
        page.context.close()
    with tenant_scope(organization):
        submission = FormSubmission.objects.get()
        assert (submission.data["mobile"], submission.data["detail"]) == ("+8613812345678", "安装位置在阳台")
        assert [change["key"] for change in submission.changes.get().changes] == ["detail"]


def test_the_number_to_quote_stays_whole_on_one_line_of_a_320px_phone(browser, live_server, organization):
    with tenant_scope(organization):
        repair = published_form(organization)
        sent = form_submit(form=repair, data={"name": "李四", "mobile": "13900001111", "problem": "install"})
        number = sent.outcome["number"]  # T20261204-000001: the hyphen is where a narrow line used to break
    page = phone_page(browser, live_server, width=320)
    try:
        page.goto(thanks_url("acme", "repair", repair, sent))
        reference = page.locator("[data-testid=form-reference]")
        expect(reference).to_contain_text(number)
        # The lines the number itself is laid out on, however the page marks it up.
        lines = reference.evaluate("""(p, number) => {
            const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.textContent.indexOf(number);
                if (at < 0) { continue; }
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + number.length);
                return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
            }
            return 0;
        }""", number)
        assert lines == 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # One tap selects the whole number, ready to copy.
        whole = page.locator("[data-testid=form-reference-number]")
        assert whole.evaluate("e => getComputedStyle(e).userSelect") == "all"
        whole.click()
        assert page.evaluate("String(window.getSelection())") == number
    finally:
        page.context.close()


def test_a_refused_field_is_framed_red_on_the_phone(browser, live_server, organization, survey):
    page = phone_page(browser, live_server, width=320)
    try:
        page.goto("/f/acme/survey/")
        page.click("[data-testid=form-submit]")  # nothing answered: the stars and the agreement are required
        expect(page.locator("[data-testid=error-rating]")).to_be_visible()
        red = "rgb(220, 53, 69)"  # Bootstrap's --bs-form-invalid-border-color
        star = page.locator("[data-testid=rating-rating-1]")
        assert star.evaluate("e => getComputedStyle(e).borderTopColor") == red
        agree = page.locator("input[name=agree]")
        assert agree.evaluate("e => getComputedStyle(e).borderTopColor") == red
        assert agree.get_attribute("aria-invalid") == "true"
        # The optional checkbox group, left alone, is not.
        assert page.locator("input[name=why]").first.evaluate("e => getComputedStyle(e).borderTopColor") != red
    finally:
        page.context.close()
