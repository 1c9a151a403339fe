"""Public pages of the tickets app, for customers, with no sign-in: the satisfaction rating page.

The token in the link is the only key; an unknown token is a plain 404, an answered or expired one says so."""

from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from scrm.platform.tenancy import tenant_scope
from tickets.errors import MSG_SURVEY_ANSWERED, MSG_SURVEY_EXPIRED, TicketError
from tickets.services.satisfaction import survey_answer, survey_by_token

TEMPLATE = "tickets/public/rate.html"
RATINGS = (5, 4, 3, 2, 1)


@method_decorator(never_cache, name="dispatch")
class SatisfactionRateView(View):
    def _survey(self, token):
        survey = survey_by_token(token)
        if survey is None:
            raise Http404
        return survey

    def _render(self, request, survey, *, error="", done=False, status=200, rating=None, comment=""):
        with tenant_scope(survey.organization_id):
            context = {"survey": survey, "ticket": survey.ticket, "organization": survey.organization,
                       "error": error, "done": done, "ratings": RATINGS, "chosen": rating, "comment": comment}
            return render(request, TEMPLATE, context, status=status)

    def get(self, request, token):
        survey = self._survey(token)
        if survey.is_answered:
            return self._render(request, survey, done=True, error=MSG_SURVEY_ANSWERED)
        if survey.is_expired:
            return self._render(request, survey, error=MSG_SURVEY_EXPIRED, status=410)
        return self._render(request, survey)

    def post(self, request, token):
        survey = self._survey(token)
        rating, comment = request.POST.get("rating"), request.POST.get("comment", "")
        try:
            survey = survey_answer(survey=survey, rating=rating, comment=comment)
        except TicketError as error:
            done = survey.is_answered
            status = 200 if done else (410 if survey.is_expired else 400)
            return self._render(request, survey, error=str(error), done=done, status=status, rating=rating,
                                comment=comment)
        return self._render(request, survey, done=True)
