"""The per-form summary: counts per choice, average rating, numbers' minimum/average/maximum and submissions per day,
all computed in the database (a constant number of queries), shown with Chart.js beside the text."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from forms_builder.models import FormSubmission
from forms_builder.selectors import form_daily_counts, form_summary
from forms_builder.services import form_submit
from scrm.platform.tenancy import tenant_scope
from tests.forms_builder.factories import published_form

SCHEMA = {"sections": [{"key": "s", "fields": [
    {"key": "channel", "type": "single_choice", "label": "渠道",
     "options": [{"value": "jd", "label": "京东"}, {"value": "shop", "label": "门店"}]},
    {"key": "likes", "type": "multi_choice", "label": "满意之处",
     "options": [{"value": "price", "label": "价格"}, {"value": "speed", "label": "速度"}]},
    {"key": "stars", "type": "rating", "label": "评分"},
    {"key": "spent", "type": "money", "label": "金额"},
    {"key": "note", "type": "text", "label": "备注"},
]}]}


def _survey(organization):
    with tenant_scope(organization):
        form = published_form(organization, slug="survey", purpose="survey", schema=SCHEMA)
        for channel, likes, stars, spent in [("jd", ["price"], "5", "100"), ("jd", ["price", "speed"], "4", "20.5"),
                                             ("shop", [], "3", ""), ("jd", ["speed"], "", "9.5")]:
            form_submit(form=form, data={"channel": channel, "likes": likes, "stars": stars, "spent": spent})
    return form


def test_the_summary_counts_averages_and_ranges_in_the_database(organization, django_assert_num_queries):
    form = _survey(organization)
    # Two queries: the versions' keys (renamed or converted at a publish), then every count at once.
    with tenant_scope(organization), django_assert_num_queries(2):
        channel, likes, stars, spent = form_summary(form)

    assert [(row["label"], row["count"], row["percent"]) for row in channel["rows"]] == [("京东", 3, 75),
                                                                                          ("门店", 1, 25)]
    assert [(row["label"], row["count"]) for row in likes["rows"]] == [("价格", 2), ("速度", 2)]
    assert stars["average"] == 4 and stars["total"] == 3 and stars["rows"][0] == {"label": "★★★★★", "count": 1,
                                                                                  "percent": 33}
    assert (spent["answered"], str(spent["min"]), str(spent["avg"]), str(spent["max"])) == (3, "9.50", "43.33",
                                                                                           "100.00")


def test_submissions_per_day_list_every_day_in_one_query(organization, django_assert_num_queries):
    form = _survey(organization)
    with tenant_scope(organization):
        old = FormSubmission.objects.filter(form=form).order_by("pk").first()
        FormSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
        with django_assert_num_queries(1):
            daily = form_daily_counts(form, days=7)

    today = timezone.localdate()
    assert len(daily) == 7 and daily[-1] == {"day": today.isoformat(), "count": 3}
    assert daily[-3] == {"day": (today - timedelta(days=2)).isoformat(), "count": 1}
    assert sum(day["count"] for day in daily) == 4


def test_the_detail_page_draws_the_summary_with_chart_js(client, ops_admin, organization):
    form = _survey(organization)
    client.force_login(ops_admin)
    html = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()

    assert 'id="form-summary-data"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert 'data-chart="channel"' in html and 'data-chart="daily"' in html
    assert "43.33" in html  # the money field's average, as text beside the charts


def test_a_form_with_no_answer_yet_shows_an_empty_state_not_charts_of_zeros(client, ops_admin, organization):
    with tenant_scope(organization):
        form = published_form(organization, slug="survey", purpose="survey", schema=SCHEMA)
    client.force_login(ops_admin)
    html = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()

    assert 'data-testid="summary-empty"' in html
    assert 'id="form-summary-data"' not in html and "<canvas" not in html and "chart.umd.min.js" not in html


def test_a_question_nobody_answered_and_a_quiet_window_say_so_instead_of_a_zero_chart(client, ops_admin,
                                                                                      organization):
    with tenant_scope(organization):
        form = published_form(organization, slug="survey", purpose="survey", schema=SCHEMA)
        form_submit(form=form, data={"channel": "jd", "spent": "10"})
        FormSubmission.objects.filter(form=form).update(created_at=timezone.now() - timedelta(days=90))
    client.force_login(ops_admin)
    html = client.get(reverse("forms_builder:form-detail", args=[form.pk])).content.decode()

    assert 'data-chart="channel"' in html  # answered: drawn
    assert 'data-chart="likes"' not in html and 'data-chart="stars"' not in html and 'data-chart="daily"' not in html
    assert html.count('data-testid="summary-field-empty"') == 2
    assert 'data-testid="daily-empty"' in html
