"""The SLA pages of the settings module: policies (targets per priority, the escalation ladder and a preview of
the due times a new ticket would get) and business calendars (the week, holidays and make-up days, a pasted
year). Ops admins only; every write is a service, which also writes the settings audit trail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from scrm.platform.access import ModuleRequiredMixin, settings_delete_response
from sla import selectors, services
from sla.forms import (
    NEW_POLICY_TARGETS,
    BusinessCalendarForm,
    CalendarDayForm,
    CalendarImportForm,
    SLAPolicyForm,
    SLATargetForm,
    StepFormSet,
    TargetFormSet,
    kept_instances,
)
from sla.models import BusinessCalendar, CalendarDay, SLAPolicy

MSG_POLICY_SAVED = gettext_lazy("Policy “%(name)s” saved.")
MSG_CALENDAR_SAVED = gettext_lazy("Calendar “%(name)s” saved.")
MSG_DAY_SAVED = gettext_lazy("%(date)s saved.")
MSG_DAY_DELETED = gettext_lazy("%(date)s removed.")
MSG_IMPORTED = gettext_lazy("%(count)s days imported.")


def user_configures_sla(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("sla.change_slapolicy") and user.has_perm("sla.change_businesscalendar"))


def _errors(error):
    return error.messages if isinstance(error, ValidationError) else [str(error)]


class _SLASettingsPage(ModuleRequiredMixin):
    module = "settings"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_sla(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _get(getter, **kwargs):
        try:
            return getter(**kwargs)  # the open scope: another organization's row is not found
        except (SLAPolicy.DoesNotExist, BusinessCalendar.DoesNotExist, CalendarDay.DoesNotExist) as exc:
            raise Http404 from exc


class PolicyListView(_SLASettingsPage, TemplateView):
    template_name = "sla/settings/policy_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(policies=selectors.sla_policy_list(), **kwargs)


class PolicyFormView(_SLASettingsPage, TemplateView):
    """Create (no pk) or change a policy with its targets and ladder; `add_step` re-shows the form with one more
    ladder row; the preview beside the form shows the due times of a ticket opened now."""

    template_name = "sla/settings/policy_form.html"

    def _forms(self, policy, data=None):
        instance = policy or SLAPolicy(organization=self.request.user.organization)
        form = SLAPolicyForm(data, instance=instance)
        if policy is None and data is None:
            targets = TargetFormSet(instance=instance, prefix="targets", initial=NEW_POLICY_TARGETS)
            targets.extra = len(NEW_POLICY_TARGETS)
        else:
            targets = TargetFormSet(data, instance=instance, prefix="targets")
        steps = StepFormSet(data, instance=instance, prefix="steps")
        return form, targets, steps

    def get(self, request, pk=None):
        policy = self._get(selectors.sla_policy_get, pk=pk) if pk is not None else None
        form, targets, steps = self._forms(policy)
        return self.render_to_response(self._context(policy, form, targets, steps))

    def post(self, request, pk=None):
        policy = self._get(selectors.sla_policy_get, pk=pk) if pk is not None else None
        data = request.POST.copy()
        if "add_step" in data:
            data["steps-TOTAL_FORMS"] = str(int(data.get("steps-TOTAL_FORMS") or 0) + 1)
            form, targets, steps = self._forms(policy, data)
            return self.render_to_response(self._context(policy, form, targets, steps))
        form, targets, steps = self._forms(policy, data)
        errors = []
        if form.is_valid() and targets.is_valid() and steps.is_valid():
            try:
                saved = services.sla_policy_save(policy=form.instance, targets=kept_instances(targets),
                                                 steps=kept_instances(steps), by=request.user)
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
                    form.add_error(None, exc)  # beside the field it names (a taken name)
                else:
                    errors = _errors(exc)
            else:
                messages.success(request, MSG_POLICY_SAVED % {"name": saved.name})
                return redirect("sla:policy-edit", pk=saved.pk)
        return self.render_to_response(self._context(policy, form, targets, steps, errors), status=400)

    def _context(self, policy, form, targets, steps, errors=()):
        preview = []
        if policy is not None:
            preview = selectors.sla_due_preview(calendar=policy.calendar, targets=list(policy.targets.all()))
        return self.get_context_data(policy=policy, form=form, targets=targets, steps=steps, errors=errors,
                                     preview=preview,
                                     changes=selectors.settings_changes(instance=policy) if policy else [])


class PolicyPreviewView(_SLASettingsPage, View):
    """The preview fragment for the form as typed (htmx, on every change): rows that do not parse are left out."""

    def post(self, request):
        form = SLAPolicyForm(request.POST, instance=SLAPolicy(organization=request.user.organization))
        calendar = None
        if "calendar" in form.fields:
            try:
                calendar = form.fields["calendar"].clean(request.POST.get("calendar"))
            except ValidationError:
                calendar = None
        rows = []
        if calendar is not None:
            try:
                total = min(int(request.POST.get("targets-TOTAL_FORMS") or 0), 20)
            except ValueError:
                total = 0
            for index in range(total):
                target_form = SLATargetForm(request.POST, prefix=f"targets-{index}")
                if target_form.is_valid() and not request.POST.get(f"targets-{index}-DELETE"):
                    rows.append(target_form.instance)
            rows = selectors.sla_due_preview(calendar=calendar, targets=rows)
        return TemplateResponse(request, "sla/settings/_preview.html", {"preview": rows})


class CalendarListView(_SLASettingsPage, TemplateView):
    template_name = "sla/settings/calendar_list.html"

    def get_context_data(self, **kwargs):
        year, missing = selectors.calendars_missing_next_year()
        return super().get_context_data(calendars=selectors.business_calendar_list(), banner_year=year,
                                        missing=missing, **kwargs)


class CalendarFormView(_SLASettingsPage, TemplateView):
    """A calendar's week, and below it the days of a year (add, change, remove) and the import of a pasted year."""

    template_name = "sla/settings/calendar_form.html"

    def calendar(self, pk):
        return self._get(selectors.business_calendar_get, pk=pk)

    def get(self, request, pk=None):
        calendar = self.calendar(pk) if pk is not None else None
        form = BusinessCalendarForm(initial=BusinessCalendarForm.initial_of(calendar) if calendar else
                                    {"time_zone": "Asia/Shanghai", "follows_china_holidays": True})
        return self.render_to_response(self._context(calendar, form))

    def post(self, request, pk=None):
        calendar = self.calendar(pk) if pk is not None else None
        form = BusinessCalendarForm(request.POST)
        if form.is_valid():
            values = {"name": form.cleaned_data["name"], "weekly_hours": form.weekly_hours(),
                      "time_zone": form.cleaned_data["time_zone"],
                      "follows_china_holidays": form.cleaned_data["follows_china_holidays"]}
            try:
                if calendar is None:
                    calendar = services.calendar_create(organization=request.user.organization, by=request.user,
                                                        **values)
                else:
                    services.calendar_update(calendar=calendar, by=request.user, **values)
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
                    form.add_error(None, exc)  # each message beside the field it names (a taken name)
                else:
                    for message in _errors(exc):
                        form.add_error(None, message)
                calendar = self.calendar(pk) if pk is not None else None
            else:
                messages.success(request, MSG_CALENDAR_SAVED % {"name": calendar.name})
                return redirect("sla:calendar-edit", pk=calendar.pk)
        return self.render_to_response(self._context(calendar, form), status=400)

    def _context(self, calendar, form, **extra):
        context = {"calendar": calendar, "form": form}
        if calendar is not None:
            years = selectors.calendar_years(calendar=calendar)
            try:
                year = int(self.request.GET.get("year") or extra.get("year") or years[-1])
            except ValueError:
                year = years[-1]
            banner_year, missing = selectors.calendars_missing_next_year(
                calendars=BusinessCalendar.objects.filter(pk=calendar.pk))
            context.update(year=year, years=years, days=selectors.calendar_days(calendar=calendar, year=year),
                           day_form=extra.get("day_form") or CalendarDayForm(),
                           import_form=extra.get("import_form") or CalendarImportForm(),
                           banner_year=banner_year, missing=missing,
                           changes=selectors.settings_changes(instance=calendar))
        context.update({k: v for k, v in extra.items() if k not in context})
        return self.get_context_data(**context)


class CalendarDayFormView(CalendarFormView):
    """Add a day (no day_pk) or change one; errors show on the calendar page, nothing saved."""

    template_name = "sla/settings/calendar_form.html"

    def get(self, request, pk, day_pk=None):
        calendar = self.calendar(pk)
        day = self._get(selectors.calendar_day_get, calendar=calendar, pk=day_pk) if day_pk else None
        initial = {"date": day.date, "kind": day.kind, "name": selectors.calendar_day_name(day),
                   "spans": ", ".join(day.spans)} if day else None
        form = BusinessCalendarForm(initial=BusinessCalendarForm.initial_of(calendar))
        return self.render_to_response(self._context(calendar, form, day_form=CalendarDayForm(initial=initial),
                                                     editing_day=day, year=day.date.year if day else None))

    def post(self, request, pk, day_pk=None):
        calendar = self.calendar(pk)
        day = self._get(selectors.calendar_day_get, calendar=calendar, pk=day_pk) if day_pk else None
        day_form = CalendarDayForm(request.POST)
        if day_form.is_valid():
            try:
                saved = services.calendar_day_save(calendar=calendar, by=request.user, day=day,
                                                   **day_form.cleaned_data)
            except ValidationError as exc:
                for message in _errors(exc):
                    day_form.add_error(None, message)
            else:
                messages.success(request, MSG_DAY_SAVED % {"date": saved.date})
                return redirect(f"{self._edit_url(calendar)}?year={saved.date.year}")
        form = BusinessCalendarForm(initial=BusinessCalendarForm.initial_of(calendar))
        return self.render_to_response(self._context(calendar, form, day_form=day_form, editing_day=day),
                                       status=400)

    @staticmethod
    def _edit_url(calendar):
        return reverse("sla:calendar-edit", kwargs={"pk": calendar.pk})


class CalendarDayDeleteView(_SLASettingsPage, View):
    def post(self, request, pk, day_pk):
        calendar = self._get(selectors.business_calendar_get, pk=pk)
        day = self._get(selectors.calendar_day_get, calendar=calendar, pk=day_pk)
        year, when = day.date.year, day.date
        services.calendar_day_delete(day=day, by=request.user)
        messages.success(request, MSG_DAY_DELETED % {"date": when})
        return redirect(f"{CalendarDayFormView._edit_url(calendar)}?year={year}")


class CalendarImportView(CalendarFormView):
    http_method_names = ["post"]

    def post(self, request, pk):
        calendar = self.calendar(pk)
        import_form = CalendarImportForm(request.POST)
        if import_form.is_valid():
            try:
                count = services.calendar_days_import(calendar=calendar, by=request.user,
                                                      text=import_form.cleaned_data["text"])
            except ValidationError as exc:
                for message in _errors(exc):
                    import_form.add_error("text", message)
            else:
                messages.success(request, MSG_IMPORTED % {"count": count})
                return redirect("sla:calendar-edit", pk=calendar.pk)
        form = BusinessCalendarForm(initial=BusinessCalendarForm.initial_of(calendar))
        return self.render_to_response(self._context(calendar, form, import_form=import_form), status=400)




class PolicyDeleteView(_SLASettingsPage, View):
    def post(self, request, pk):
        policy = self._get(selectors.sla_policy_get, pk=pk)
        return settings_delete_response(
            request, lambda: services.sla_policy_delete(policy=policy, by=request.user), name=policy.name,
            done="sla:policy-list", back=reverse("sla:policy-edit", args=[pk]))


class CalendarDeleteView(_SLASettingsPage, View):
    def post(self, request, pk):
        calendar = self._get(selectors.business_calendar_get, pk=pk)
        return settings_delete_response(
            request, lambda: services.calendar_delete(calendar=calendar, by=request.user), name=calendar.name,
            done="sla:calendar-list", back=reverse("sla:calendar-edit", args=[pk]))
