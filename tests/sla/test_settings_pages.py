"""Ops configure SLA policies and business calendars inside the product: every change goes through the services,
is written to the settings audit trail, and bad input is refused with a clear message and nothing saved. Agents,
supervisors and other organizations' ops are refused."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from scrm.models import Role, SettingsChange
from scrm.platform.tenancy import tenant_scope
from sla.models import (
    MSG_LADDER_ORDER,
    MSG_SPANS_OVERLAP,
    MSG_TARGET_DUPLICATE,
    MSG_TARGET_POSITIVE,
    PRESET_24X7,
    BusinessCalendar,
    CalendarDay,
    EscalationStep,
    SLAPolicy,
)
from sla.services import (
    MSG_CALENDAR_NAME_TAKEN,
    MSG_DAY_TAKEN,
    MSG_IMPORT_KIND,
    MSG_IMPORT_LINE,
    MSG_POLICY_NAME_TAKEN,
    calendar_create,
    calendar_seed_china_holidays,
)
from tests.sla.factories import TARGETS, office_calendar, sla_policy
from tests.tenancy import assert_isolated, tenant_pair

pytestmark = pytest.mark.django_db


def _seed(tenant):
    calendar = office_calendar(tenant.organization, name=f"{tenant.marker} 工作日", china=False)
    calendar_create(organization=tenant.organization, name=f"{tenant.marker} 全天", weekly_hours=PRESET_24X7,
                    follows_china_holidays=False)
    sla_policy(tenant.organization, calendar, name=f"{tenant.marker} 标准")


@pytest.fixture
def pair():
    return tenant_pair(_seed)


@pytest.fixture
def ops(pair):
    client = Client()
    client.force_login(pair[0].users[Role.OPS_ADMIN])
    return client


def _management(prefix, total, initial=0):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}


def _policy_data(calendar, *, name="VIP 策略", targets=((1, 20, "", 120),), steps=()):
    data = {"name": name, "position": "0", "is_active": "on", "calendar": str(calendar.pk),
            **_management("targets", len(targets)), **_management("steps", len(steps))}
    for n, (priority, first, nxt, res) in enumerate(targets):
        data.update({f"targets-{n}-priority": str(priority), f"targets-{n}-first_response_minutes": str(first),
                     f"targets-{n}-next_response_minutes": str(nxt), f"targets-{n}-resolution_minutes": str(res)})
    for n, step in enumerate(steps):
        data.update({f"steps-{n}-{key}": value for key, value in step.items()})
    return data


def _calendar(tenant, name="工作日"):
    with tenant_scope(tenant.organization):
        return BusinessCalendar.objects.get(name=f"{tenant.marker} {name}")


BREACH = {"metric": "resolution", "trigger": "breach", "trigger_value": "0", "notify_supervisor": "on"}
EARLY = {"metric": "resolution", "trigger": "percent", "trigger_value": "75", "notify_assignee": "on"}


def test_ops_create_a_policy_with_a_ladder_and_the_change_is_audited(pair, ops):
    a, _b = pair
    response = ops.post("/sla/policies/new/", _policy_data(_calendar(a), steps=[EARLY, BREACH]))
    assert response.status_code == 302
    with tenant_scope(a.organization):
        policy = SLAPolicy.objects.get(name="VIP 策略")
        assert [(t.priority, t.first_response_minutes) for t in policy.targets.all()] == [(1, 20)]
        assert [s.trigger for s in policy.steps.order_by("position")] == ["percent", "breach"]
        change = SettingsChange.objects.get(subject="sla.slapolicy", subject_id=policy.pk)
    assert change.action == SettingsChange.Action.CREATED and change.by_id == a.users[Role.OPS_ADMIN].pk
    assert change.detail["targets"] == {"P1": [20, None, 120]}
    page = ops.get(response["Location"]).content.decode()
    assert "VIP 策略" in page and 'data-testid="preview-p1"' in page and 'data-testid="settings-changes"' in page


def test_a_ladder_out_of_order_is_refused_with_the_services_message_and_nothing_saved(pair, ops):
    a, _b = pair
    response = ops.post("/sla/policies/new/", _policy_data(_calendar(a), steps=[BREACH, EARLY]))
    assert response.status_code == 400
    assert escape(str(MSG_LADDER_ORDER % {"position": 2, "trigger": "75%"})) in response.content.decode()
    with tenant_scope(a.organization):
        assert not SLAPolicy.objects.filter(name="VIP 策略").exists()
        assert not SettingsChange.objects.filter(by=a.users[Role.OPS_ADMIN]).exists()


def test_a_policy_given_another_policys_name_is_refused_on_the_name_and_nothing_changes(pair, ops):
    """A second policy named like the first showed Django's "包含 组织 和 名称 的 SLA 策略 已经存在" above the form
    (naming the organization, which ops never chose); the name field now says the name is taken."""
    a, _b = pair
    with tenant_scope(a.organization):
        existing = SLAPolicy.objects.get(name=f"{a.marker} 标准")
    taken = MSG_POLICY_NAME_TAKEN % {"name": existing.name}
    response = ops.post("/sla/policies/new/", _policy_data(_calendar(a), name=existing.name))
    assert response.status_code == 400 and response.context["form"].errors["name"] == [taken]
    assert escape(str(taken)) in response.content.decode()
    ops.post("/sla/policies/new/", _policy_data(_calendar(a)))
    with tenant_scope(a.organization):
        other = SLAPolicy.objects.get(name="VIP 策略")
    response = ops.post(f"/sla/policies/{other.pk}/", _policy_data(_calendar(a), name=existing.name))
    assert response.status_code == 400 and response.context["form"].errors["name"] == [taken]
    with tenant_scope(a.organization):
        assert SLAPolicy.objects.filter(name=existing.name).count() == 1
        assert SLAPolicy.objects.filter(name="VIP 策略").count() == 1
        assert list(SettingsChange.objects.filter(subject="sla.slapolicy", subject_id=other.pk).values_list(
            "action", flat=True)) == [SettingsChange.Action.CREATED]


@pytest.mark.parametrize(("targets", "message"), [
    (((1, 0, "", 120),), str(MSG_TARGET_POSITIVE).split("%(")[0]),
    (((1, 20, "", 120), (1, 30, "", 240)), str(MSG_TARGET_DUPLICATE)),
])
def test_bad_targets_are_refused_and_nothing_saved(pair, ops, targets, message):
    a, _b = pair
    response = ops.post("/sla/policies/new/", _policy_data(_calendar(a), targets=targets))
    assert response.status_code == 400 and escape(message) in response.content.decode()
    with tenant_scope(a.organization):
        assert not SLAPolicy.objects.filter(name="VIP 策略").exists()


def test_editing_a_target_changes_the_preview_and_keeps_the_ladder(pair, ops):
    a, _b = pair
    with tenant_scope(a.organization):
        policy = SLAPolicy.objects.select_related("calendar").get()
        targets = list(policy.targets.order_by("priority"))
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        # 18:00 in Shanghai: an office calendar's next working minute is 09:00 on Thursday.
        before = ops.get(f"/sla/policies/{policy.pk}/").content.decode()
        data = _policy_data(policy.calendar, name=policy.name,
                            targets=[(t.priority, 90 if t.priority == 1 else t.first_response_minutes,
                                      t.next_response_minutes or "", t.resolution_minutes) for t in targets])
        data["targets-INITIAL_FORMS"] = str(len(targets))
        for n, t in enumerate(targets):
            data[f"targets-{n}-id"] = str(t.pk)
            data[f"targets-{n}-policy"] = str(policy.pk)
        assert ops.post(f"/sla/policies/{policy.pk}/", data).status_code == 302
        after = ops.get(f"/sla/policies/{policy.pk}/").content.decode()
    assert "09:30" in before and "10:30" in after
    with tenant_scope(a.organization):
        assert policy.targets.get(priority=1).first_response_minutes == 90
        assert policy.targets.count() == len(TARGETS)
        assert SettingsChange.objects.filter(subject_id=policy.pk, action="changed").count() == 1


def test_the_preview_fragment_follows_the_form_as_typed(pair, ops):
    a, _b = pair
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        response = ops.post("/sla/policies/preview/", _policy_data(_calendar(a, "全天"), targets=((1, 45, "", 120),)))
    assert response.status_code == 200
    assert "18:45" in response.content.decode()  # 7×24: 45 minutes after 18:00 Shanghai


def test_add_a_step_shows_one_more_ladder_row_without_saving(pair, ops):
    a, _b = pair
    response = ops.post("/sla/policies/new/", {**_policy_data(_calendar(a), steps=[EARLY]), "add_step": "1"})
    assert response.content.decode().count('data-testid="ladder-step"') == 2
    with tenant_scope(a.organization):
        assert not SLAPolicy.objects.filter(name="VIP 策略").exists()


def test_calendar_week_is_validated_and_saved_through_the_service(pair, ops):
    a, _b = pair
    calendar = _calendar(a)
    week = {"name": calendar.name, "time_zone": "Asia/Shanghai", "mon": "09:00-12:00, 11:30-18:00"}
    response = ops.post(f"/sla/calendars/{calendar.pk}/", week)
    overlap = MSG_SPANS_OVERLAP % {"day": "mon", "spans": "09:00-12:00, 11:30-18:00"}
    assert response.status_code == 400 and escape(str(overlap)) in response.content.decode()
    with tenant_scope(a.organization):
        calendar.refresh_from_db()
    assert calendar.weekly_hours["mon"] == ["09:00-12:00", "13:30-18:00"]
    response = ops.post(f"/sla/calendars/{calendar.pk}/", {**week, "mon": "08:00-17:00", "tue": "08:00-17:00"})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        calendar.refresh_from_db()
    assert calendar.weekly_hours["mon"] == ["08:00-17:00"] and calendar.weekly_hours["wed"] == []
    with tenant_scope(a.organization):
        assert SettingsChange.objects.filter(subject="sla.businesscalendar", subject_id=calendar.pk).count() == 1


def test_a_calendar_given_another_calendars_name_is_refused_on_the_name_and_nothing_changes(pair, ops):
    """Renaming a calendar to a name another calendar has answered a server error (the unique constraint was not
    checked on a change); creating one named like another showed Django's "组织和名称" sentence above the form."""
    a, _b = pair
    calendar, other = _calendar(a), _calendar(a, "全天")
    week = {"name": other.name, "time_zone": "Asia/Shanghai", "mon": "08:00-17:00"}
    taken = escape(str(MSG_CALENDAR_NAME_TAKEN % {"name": other.name}))
    with translation.override("zh-hans"):
        response = ops.post(f"/sla/calendars/{calendar.pk}/", week)
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [MSG_CALENDAR_NAME_TAKEN % {"name": other.name}]
    assert taken in response.content.decode()
    response = ops.post("/sla/calendars/new/", week)
    assert response.status_code == 400 and taken in response.content.decode()
    with tenant_scope(a.organization):
        calendar.refresh_from_db()
        assert calendar.name == f"{a.marker} 工作日" and calendar.weekly_hours["mon"] == ["09:00-12:00", "13:30-18:00"]
        assert BusinessCalendar.objects.filter(name=other.name).count() == 1
        assert not SettingsChange.objects.filter(subject="sla.businesscalendar").exists()


def test_ops_add_change_and_remove_a_day_and_a_taken_date_is_refused(pair, ops):
    a, _b = pair
    calendar = _calendar(a)
    url = f"/sla/calendars/{calendar.pk}/days/new/"
    assert ops.post(url, {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}).status_code == 302
    response = ops.post(url, {"date": "2027-10-01", "kind": "workday", "name": "重复"})
    assert response.status_code == 400
    assert escape(str(MSG_DAY_TAKEN % {"date": datetime.date(2027, 10, 1)})) in response.content.decode()
    with tenant_scope(a.organization):
        day = CalendarDay.objects.get(calendar=calendar)
    assert day.name == "国庆节" and day.source == CalendarDay.Source.MANUAL
    assert ops.post(f"/sla/calendars/{calendar.pk}/days/{day.pk}/", {"date": "2027-10-02", "kind": "workday",
                                                                      "spans": "09:00-18:00"}).status_code == 302
    with tenant_scope(a.organization):
        day.refresh_from_db()
    assert (day.date, day.kind, day.spans) == (datetime.date(2027, 10, 2), "workday", ["09:00-18:00"])
    assert ops.post(f"/sla/calendars/{calendar.pk}/days/{day.pk}/delete/").status_code == 302
    with tenant_scope(a.organization):
        assert not CalendarDay.objects.filter(calendar=calendar).exists()
        assert SettingsChange.objects.filter(subject_id=calendar.pk).count() == 3


def test_a_pasted_year_is_imported_whole_or_not_at_all(pair, ops):
    a, _b = pair
    calendar = _calendar(a)
    url = f"/sla/calendars/{calendar.pk}/import/"
    response = ops.post(url, {"text": "2027-01-01, 休, 元旦\n2027-02-06\t放假\t春节\n2027-02-14 周日 春节调休"})
    assert response.status_code == 400
    expected = MSG_IMPORT_LINE % {"line": 3, "reason": MSG_IMPORT_KIND % {"value": "周日"}}
    assert escape(str(expected)) in response.content.decode()
    with tenant_scope(a.organization):
        assert not CalendarDay.objects.filter(calendar=calendar).exists()
    response = ops.post(url, {"text": "2027-01-01, 休, 元旦\n2027-02-06\t放假\t春节\n2027-02-14 班 春节调休"})
    assert response.status_code == 302
    with tenant_scope(a.organization):
        days = list(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind", "name"))
        change = SettingsChange.objects.get(subject_id=calendar.pk)
    assert days == [(datetime.date(2027, 1, 1), "holiday", "元旦"), (datetime.date(2027, 2, 6), "holiday", "春节"),
                    (datetime.date(2027, 2, 14), "workday", "春节调休")]
    assert change.action == SettingsChange.Action.IMPORTED and change.detail == {"days": 3, "years": [2027]}


def test_from_december_the_banner_names_the_calendars_without_next_years_holidays(pair, ops):
    a, _b = pair
    calendar = _calendar(a)
    with tenant_scope(a.organization):
        calendar.follows_china_holidays = True
        calendar.save(update_fields=["follows_china_holidays"])
    with time_machine.travel(datetime.datetime(2026, 11, 30, 4, tzinfo=datetime.UTC)):
        assert 'data-testid="holiday-banner"' not in ops.get("/sla/calendars/").content.decode()
    with time_machine.travel(datetime.datetime(2026, 12, 3, 4, tzinfo=datetime.UTC)):
        page = ops.get("/sla/calendars/").content.decode()
        assert 'data-testid="holiday-banner"' in page and "2027" in page and calendar.name in page
        ops.post(f"/sla/calendars/{calendar.pk}/import/", {"text": "2027-01-01, 休, 元旦"})
        assert 'data-testid="holiday-banner"' not in ops.get("/sla/calendars/").content.decode()


PAGES = ["/sla/policies/", "/sla/policies/new/", "/sla/calendars/", "/sla/calendars/new/"]


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.FINANCE, Role.VIEWER])
def test_only_ops_admins_open_the_sla_settings(pair, role):
    a, _b = pair
    client = Client()
    client.force_login(a.users[role])
    calendar = _calendar(a)
    with tenant_scope(a.organization):
        policy = SLAPolicy.objects.get()
    for url in [*PAGES, f"/sla/policies/{policy.pk}/", f"/sla/calendars/{calendar.pk}/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/sla/calendars/{calendar.pk}/import/", {"text": "2027-01-01, 休, 元旦"}).status_code == 403
    with tenant_scope(a.organization):
        assert not CalendarDay.objects.filter(calendar=calendar).exists()


@pytest.mark.parametrize("url", ["/sla/policies/", "/sla/calendars/"])
def test_the_lists_show_only_their_organizations_rows(pair, url):
    a, b = pair
    assert_isolated(Client(), a, b, url)


def test_the_lists_run_a_bounded_number_of_queries(pair, ops, django_assert_max_num_queries):
    a, _b = pair
    with tenant_scope(a.organization):
        calendar = _calendar(a)
        for n in range(8):
            sla_policy(a.organization, calendar, name=f"策略 {n}", steps=[{"metric": "resolution",
                                                                          "trigger": "breach",
                                                                          "notify_supervisor": True}])
            calendar_create(organization=a.organization, name=f"日历 {n}", weekly_hours=PRESET_24X7,
                            follows_china_holidays=False)
        assert EscalationStep.objects.count() == 8
    for url in ("/sla/policies/", "/sla/calendars/"):
        with django_assert_max_num_queries(14):
            assert ops.get(url).status_code == 200


def test_ops_reach_the_sla_settings_from_the_settings_page_without_the_django_admin(pair, ops):
    settings_page = ops.get("/settings/").content.decode()
    assert 'href="/sla/policies/"' in settings_page and 'href="/sla/calendars/"' in settings_page
    a, _b = pair
    calendar = _calendar(a)
    with tenant_scope(a.organization):
        policy = SLAPolicy.objects.get()
    for url in ("/settings/", *PAGES, f"/sla/policies/{policy.pk}/", f"/sla/calendars/{calendar.pk}/"):
        assert 'href="/admin/sla/' not in ops.get(url).content.decode(), url


def test_the_seeded_china_holidays_are_named_in_the_pages_language(pair, ops):
    """The calendar page listed "Spring Festival", "National Day"... in the Chinese UI: the chinese-calendar
    package names its days in English. Ops' own names are shown as typed."""
    a, _b = pair
    calendar = _calendar(a)
    with tenant_scope(a.organization):
        calendar_seed_china_holidays(calendar=calendar, years=[2025])
        spring = CalendarDay.objects.filter(calendar=calendar, name="Spring Festival").first()
    page = ops.get(f"/sla/calendars/{calendar.pk}/?year=2025").content.decode()
    assert "春节" in page and "国庆节" in page and "劳动节" in page
    assert "Spring Festival" not in page and "National Day" not in page
    day_page = ops.get(f"/sla/calendars/{calendar.pk}/days/{spring.pk}/").content.decode()
    assert 'value="春节"' in day_page
    with translation.override("zh-hans"):  # the English requests leave English active in this thread: put it back
        ops.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert "Spring Festival" in ops.get(f"/sla/calendars/{calendar.pk}/?year=2025").content.decode()


def test_a_calendar_list_with_no_calendar_says_so_and_what_to_do(pair, ops):
    with tenant_scope(pair[0].organization):
        SLAPolicy.objects.all().delete()
        BusinessCalendar.objects.all().delete()
    page = ops.get("/sla/calendars/").content.decode()
    assert 'data-testid="calendar-empty"' in page and 'data-testid="calendar-row"' not in page


def test_a_days_date_opens_filled_in_on_a_chinese_page(pair, ops):
    """Editing a day opened its date input empty: the Chinese date format (2027/10/01) is one a browser's date
    input refuses; it wants 2027-10-01, whatever the language."""
    a, _b = pair
    calendar = _calendar(a)
    with tenant_scope(a.organization):
        day = CalendarDay.objects.create(organization=a.organization, calendar=calendar,
                                         date=datetime.date(2027, 10, 1), kind="holiday", name="国庆节")

    with translation.override("zh-hans"):
        body = ops.get(f"/sla/calendars/{calendar.pk}/days/{day.pk}/").content.decode()

    assert 'type="date" name="date" value="2027-10-01"' in body and "2027/10/01" not in body
