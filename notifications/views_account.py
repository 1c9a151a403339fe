"""个人设置 / My settings: what a signed-in user sets for themselves. Their language (the same choice as the top
bar's switch, `user_language_set`), and which notifications are also sent to them by email
(`notification_preferences_set`). Their name, email and mobile are shown, not edited: ops admins keep them on
Settings → Users (`user_update`), and the page says so. A platform operator (no organization) sets only their
language: notifications go to the users of an organization."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from notifications.errors import NotificationError
from notifications.models import Notification
from notifications.selectors import email_kinds_offered, organization_ops_admins
from notifications.services import email_kinds_sent, notification_preferences_set
from scrm.errors import ScrmError
from scrm.forms import bootstrap
from scrm.services import user_language_set
from scrm.views import language_cookie_set

Kind = Notification.Kind

MSG_MY_SETTINGS_SAVED = _("Your settings are saved.")
MSG_NOTHING_CHANGED = _("Nothing changed: your settings are as they were.")

# The page's groups of kinds, each with what it means to the one who gets it (the kinds' own names are the
# notification centre's labels, too terse for a choice).
KIND_GROUPS = (
    (_("My tickets"), (
        (Kind.ASSIGNED, _("A ticket is assigned to me")),
        (Kind.MENTIONED, _("Someone mentions me on a ticket")),
        (Kind.TRANSFERRED, _("A ticket is transferred to a queue I supervise")),
    )),
    (_("SLA deadlines"), (
        (Kind.SLA_WARNING, _("A ticket is close to its SLA deadline (when the escalation rules tell me)")),
        (Kind.SLA_BREACH, _("A ticket missed its SLA deadline (when the escalation rules tell me)")),
    )),
    (_("For supervisors"), (
        (Kind.WAITING, _("An urgent ticket is waiting with nobody assigned")),
        (Kind.RATING_LOW, _("A customer gave a low satisfaction rating")),
    )),
    (_("Settlement"), (
        (Kind.REGION_ALERT, _("A region's figures moved sharply this month")),
    )),
)


class MySettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES,
                                 help_text=_("The pages, and what is sent to you, are in this language on every "
                                             "browser you sign in on."))
    email_kinds = forms.MultipleChoiceField(label=_("Email me when"), required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_kinds"].choices = [(str(kind), Kind(kind).label) for kind in offered]
        bootstrap(self)


class MySettingsView(LoginRequiredMixin, TemplateView):
    """GET the page; POST the form: the language and the email kinds, saved through their services."""

    template_name = "notifications/my_settings.html"

    def _offered(self):
        return email_kinds_offered(user=self.request.user)

    def _current(self):
        user = self.request.user
        sent = email_kinds_sent(user=user) if user.organization_id is not None else frozenset()
        # Nothing chosen yet: the language this browser shows (the switch's cookie), as the top bar's switch does.
        shown = translation.get_language()
        if shown not in dict(settings.LANGUAGES):
            shown = settings.LANGUAGE_CODE
        return {"language": user.language or shown,
                "email_kinds": [str(kind) for kind in self._offered() if kind in sent]}

    def get(self, request):
        return self.render_to_response(self._context(MySettingsForm(initial=self._current(),
                                                                     offered=self._offered())))

    def post(self, request):
        user = request.user
        offered = self._offered()
        current = self._current()
        form = MySettingsForm(request.POST, offered=offered)
        if not form.is_valid():
            return self.render_to_response(self._context(form), status=400)
        language = form.cleaned_data["language"]
        kinds = set(form.cleaned_data["email_kinds"])
        changed = False
        try:
            if offered and kinds != set(current["email_kinds"]):
                notification_preferences_set(user=user, email_kinds=kinds)
                changed = True
            if language != current["language"]:
                user_language_set(user=user, language=language)
                changed = True
        except (NotificationError, ScrmError) as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self._context(form), status=400)
        # Worded in the language the next page is in: the one just chosen.
        with translation.override(language):
            messages.success(request, str(MSG_MY_SETTINGS_SAVED if changed else MSG_NOTHING_CHANGED))
        response = redirect("account:my-settings")
        if language != current["language"]:
            language_cookie_set(response, language)  # this browser too, from the next page on
        return response

    def _context(self, form):
        user = self.request.user
        offered = set(self._offered())
        boxes = {widget.data["value"]: widget for widget in form["email_kinds"]}
        groups = [(title, [(boxes[str(kind)], text) for kind, text in kinds if kind in offered])
                  for title, kinds in KIND_GROUPS]
        return self.get_context_data(
            form=form, groups=[(title, kinds) for title, kinds in groups if kinds],
            # The escalation steps' WeCom and SMS reach those who get SLA notifications (finance gets none).
            sla_offered=bool(offered & {Kind.SLA_WARNING, Kind.SLA_BREACH}),
            in_organization=user.organization_id is not None,
            email=(user.email or "").strip(),
            ops_admins=(organization_ops_admins(organization_id=user.organization_id)
                        if user.organization_id is not None and not (user.email or "").strip() else []),
        )
