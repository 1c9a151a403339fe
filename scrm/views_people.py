"""The people-and-places pages of the settings module: regions (walked one level at a time, or searched), teams and
their members, staff accounts, agent profiles. Each page passes one rule of scrm.platform.access; every write is a
service of scrm.services.staff (audited), whose refusals are shown on the form."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm import selectors, services
from scrm.forms import bootstrap
from scrm.models import AgentProfile, CustomRole, Region, Role, Skill, Team, User
from scrm.platform.access import (
    ModuleRequiredMixin,
    settings_delete_response,
    settings_form_errors,
    user_can_use_module,
    user_configures_agents,
    user_configures_regions,
    user_configures_teams,
    user_manages_staff,
)

MSG_REGION_SAVED = _("Region “%(name)s” saved.")
MSG_TEAM_SAVED = _("Team “%(name)s” saved.")
MSG_MEMBER_ADDED = _("%(user)s joined “%(team)s”.")
MSG_MEMBER_REMOVED = _("%(user)s left “%(team)s”.")
MSG_USER_SAVED = _("Account “%(name)s” saved.")
MSG_USER_DEACTIVATED = _("%(name)s can no longer sign in.")
MSG_USER_REACTIVATED = _("%(name)s can sign in again.")
MSG_AGENT_SAVED = _("Agent profile of %(name)s saved.")
MSG_LANGUAGE_DEFAULT = _("Default (%(language)s)")
PAGE_SIZE = 50


def _get(model, pk):
    """An object of the open organization's scope (another organization's is not found: 404)."""
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist as exc:
        raise Http404 from exc


class _Page(ModuleRequiredMixin, TemplateView):
    module = "settings"
    rule = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.rule(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _supervisors():
    return User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR).order_by("username")


# Regions --------------------------------------------------------------------------------------------------------


def _indented(region):
    return ("　" if region.level == Region.Level.PROVINCE else "") + region.name


class RegionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Unique in the organization, e.g. EAST."))
    level = forms.ChoiceField(label=_("Region level"), choices=Region.Level.choices)
    parent = forms.ModelChoiceField(label=_("Parent region"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("None (an area at the top)"))
    managers = forms.ModelMultipleChoiceField(label=_("Managers (supervisors)"), queryset=User.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, region=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only areas and provinces can hold a region: a short list even when the tree has thousands of cities.
        self.fields["parent"].queryset = Region.objects.exclude(level=Region.Level.CITY).order_by("path")
        self.fields["parent"].label_from_instance = _indented
        self.fields["managers"].queryset = _supervisors()
        if region is not None:
            del self.fields["level"]  # a region keeps its level: it moves under a parent of the level above
        bootstrap(self)


class _RegionPage(_Page):
    rule = staticmethod(user_configures_regions)
    template_name = "scrm/people/regions.html"

    def get(self, request, pk=None):
        region = _get(Region, pk) if pk else None
        if region:
            initial = {"name": region.name, "code": region.code, "parent": region.parent_id,
                       "managers": [u.pk for u in services.region_managers(region=region)]}
        else:
            initial = {"parent": request.GET.get("parent") or None}
        return self.render_to_response(self._context(region, RegionForm(initial=initial, region=region)))

    def post(self, request, pk=None):
        region = _get(Region, pk) if pk else None
        form = RegionForm(request.POST, region=region)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.region_settings_save(
                    organization=request.user.organization, by=request.user, region=region, name=data["name"],
                    code=data["code"], parent=data["parent"], level=data.get("level"), managers=data["managers"])
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_REGION_SAVED % {"name": saved.name})
                url = reverse("scrm:region-list")
                return redirect(f"{url}?parent={saved.parent_id}" if saved.parent_id else url)
        region = _get(Region, pk) if pk else None
        return self.render_to_response(self._context(region, form), status=400)

    def _context(self, region, form):
        q = self.request.GET.get("q", "").strip()
        parent = None
        if q:
            rows, page = list(selectors.region_search(q=q)), None
        else:
            parent_pk = self.request.GET.get("parent") or (region.parent_id if region else None)
            parent = _get(Region, parent_pk) if parent_pk and str(parent_pk).isdigit() else None
            page = Paginator(selectors.region_children(parent=parent), PAGE_SIZE).get_page(
                self.request.GET.get("page"))
            rows = page.object_list
        return self.get_context_data(
            region=region, form=form, rows=rows, page=page, q=q, parent=parent,
            keep=urlencode({"parent": parent.pk}) + "&" if parent else "",
            ancestors=selectors.region_ancestors(parent) if parent else [],
            changes=selectors.settings_changes_of(region) if region else [],
            may_delete=self.request.user.has_perm("scrm.delete_region"))


class RegionListView(_RegionPage):
    """One level of the tree (`?parent=`), or the regions found by `?q=`; beside it the form of a new region."""


class RegionEditView(_RegionPage):
    """Rename, recode or move a region, and choose its managers."""


class _DeleteMixin:
    """POST: delete the object through its service, or show why not on its page (`settings_delete_response`).
    Needs the model's delete permission besides the page's rule."""

    http_method_names = ["post"]
    model = None
    delete = None  # the service, called with organization, by and the object under the model's name
    done = back = ""

    def post(self, request, pk):
        if not request.user.has_perm(f"scrm.delete_{self.model._meta.model_name}"):
            raise PermissionDenied
        instance = _get(self.model, pk)
        kwargs = {self.model._meta.model_name: instance}
        return settings_delete_response(
            request, lambda: self.delete(organization=request.user.organization, by=request.user, **kwargs),
            name=str(instance), done=self.done, back=reverse(self.back, args=[pk]))


class RegionDeleteView(_DeleteMixin, _RegionPage):
    model, delete = Region, staticmethod(services.region_delete)
    done, back = "scrm:region-list", "scrm:region-edit"


# Teams ----------------------------------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.SlugField(label=_("Code"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=Team.Kind.choices)
    parent = forms.ModelChoiceField(label=_("Parent team"), queryset=Team.objects.none(), required=False,
                                    empty_label=_("None (a top-level team)"))
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none(), required=False,
                                    empty_label=_("No leader"))

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name")
        self.fields["parent"].queryset = teams.exclude(pk=team.pk) if team else teams
        self.fields["leader"].queryset = User.objects.filter(is_active=True).order_by("username")
        bootstrap(self)


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Agent or supervisor"), queryset=User.objects.none(),
                                  empty_label=_("Choose…"))

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True, groups__name__in=[Role.AGENT, Role.SUPERVISOR])
            .exclude(agent_profile__team=team).distinct().order_by("username"))
        bootstrap(self)


class _TeamPage(_Page):
    rule = staticmethod(user_configures_teams)
    template_name = "scrm/people/teams.html"

    def get(self, request, pk=None):
        team = _get(Team, pk) if pk else None
        initial = ({"name": team.name, "code": team.code, "kind": team.kind, "parent": team.parent_id,
                    "leader": team.leader_id} if team else None)
        return self.render_to_response(self._context(team, TeamForm(initial=initial, team=team)))

    def post(self, request, pk=None):
        team = _get(Team, pk) if pk else None
        form = TeamForm(request.POST, team=team)
        if form.is_valid():
            try:
                saved = services.team_save(organization=request.user.organization, by=request.user, team=team,
                                           **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_TEAM_SAVED % {"name": saved.name})
                return redirect("scrm:team-edit", pk=saved.pk)
        return self.render_to_response(self._context(_get(Team, pk) if pk else None, form), status=400)

    def _context(self, team, form):
        teams = (Team.objects.select_related("parent", "leader").annotate(member_count=Count("agents"))
                 .order_by("name"))
        context = {"team": team, "form": form, "teams": teams,
                   "may_delete": self.request.user.has_perm("scrm.delete_team")}
        if team is not None:
            context.update(
                members=AgentProfile.objects.filter(team=team).select_related("user").order_by("user__username"),
                member_form=MemberForm(team=team), changes=selectors.settings_changes_of(team))
        return self.get_context_data(**context)


class TeamListView(_TeamPage):
    """The teams and the form of a new one."""


class TeamEditView(_TeamPage):
    """A team: its form, its members (add, remove) and its history."""


class TeamMemberAddView(_TeamPage):
    http_method_names = ["post"]

    def post(self, request, pk):
        team = _get(Team, pk)
        form = MemberForm(request.POST, team=team)
        if not form.is_valid():
            messages.error(request, _("Choose an active agent or supervisor of the organization."))
            return redirect("scrm:team-edit", pk=pk)
        user = form.cleaned_data["user"]
        try:
            services.team_member_add(organization=request.user.organization, by=request.user, team=team, user=user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, MSG_MEMBER_ADDED % {"user": user, "team": team.name})
        return redirect("scrm:team-edit", pk=pk)


class TeamMemberRemoveView(_TeamPage):
    http_method_names = ["post"]

    def post(self, request, pk):
        team = _get(Team, pk)
        user = _get(User, request.POST.get("user") if str(request.POST.get("user", "")).isdigit() else 0)
        if services.team_member_remove(organization=request.user.organization, by=request.user, team=team,
                                       user=user):
            messages.success(request, MSG_MEMBER_REMOVED % {"user": user, "team": team.name})
        return redirect("scrm:team-edit", pk=pk)


class TeamDeleteView(_DeleteMixin, _TeamPage):
    model, delete = Team, staticmethod(services.team_delete)
    done, back = "scrm:team-list", "scrm:team-edit"


# Staff accounts -------------------------------------------------------------------------------------------------


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               help_text=_("Used to sign in; letters, digits and @/./+/-/_ only."))
    display_name = forms.CharField(label=_("Display name"), max_length=100)
    mobile = forms.RegexField(label=_("Mobile"), regex=r"^\+?[0-9 -]{5,20}$", max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    custom_roles = forms.ModelMultipleChoiceField(label=_("The organization's own roles"),
                                                  queryset=CustomRole.objects.none(), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False,
                                  empty_label=_("No team"), help_text=_("For agents and supervisors."))
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        help_text=_("Of their pages once they sign in, and of what is sent to them (email, WeCom, SMS). They change "
                    "it themselves with the language switch."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Named as the language switch names them, each in its own language.
        default = get_language_info(settings.LANGUAGE_CODE)["name_local"]
        self.fields["language"].choices = [("", MSG_LANGUAGE_DEFAULT % {"language": default}), *(
            (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES)]
        # Active roles, and a deactivated one the user still holds (left unticked, it is taken back).
        held = Q(assignments__user=user) if user is not None else Q(pk__in=[])
        self.fields["custom_roles"].queryset = (CustomRole.objects.filter(Q(is_active=True) | held).distinct()
                                                .order_by("name"))
        if not self.fields["custom_roles"].queryset.exists():
            del self.fields["custom_roles"]  # none defined yet (Settings → Roles), none held
        self.fields["team"].queryset = Team.objects.order_by("name")
        if user is not None:
            del self.fields["username"]
        bootstrap(self)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        return username

    def clean(self):
        data = super().clean()
        if not data.get("roles") and not data.get("custom_roles"):
            self.add_error("roles", _("Give the account at least one role."))
        return data


class _UserPage(_Page):
    rule = staticmethod(user_manages_staff)
    template_name = "scrm/people/user_form.html"

    def _context(self, account, form, **extra):
        context = {"account": account, "form": form, **extra}
        if account is not None:
            context["changes"] = selectors.settings_changes_of(account)
        return self.get_context_data(**context)


class UserListView(_UserPage):
    template_name = "scrm/people/users.html"

    def get(self, request):
        q = request.GET.get("q", "").strip()
        page = Paginator(selectors.staff_search(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
        for account in page.object_list:
            account.role_labels = [Role(g.name).label for g in account.groups.all() if g.name in Role.values]
        return self.render_to_response(self.get_context_data(page=page, q=q,
                                                             keep=urlencode({"q": q}) + "&" if q else ""))


class UserCreateView(_UserPage):
    def get(self, request):
        return self.render_to_response(self._context(None, UserForm()))

    def post(self, request):
        form = UserForm(request.POST)
        if form.is_valid():
            try:
                account, password = services.user_invite(organization=request.user.organization, by=request.user,
                                                         **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                # Shown on this answer only: the password is neither stored in clear nor put in the session.
                return self.render_to_response(self._context(
                    account, UserForm(initial=_user_initial(account), user=account), password=password))
        return self.render_to_response(self._context(None, form), status=400)


def _user_initial(account):
    profile = AgentProfile.objects.filter(user=account).first()
    return {"display_name": account.display_name, "mobile": account.mobile, "email": account.email,
            "roles": list(account.groups.values_list("name", flat=True)),
            "custom_roles": list(CustomRole.objects.filter(assignments__user=account).values_list("pk", flat=True)),
            "team": profile.team_id if profile else None, "language": account.language}


class UserEditView(_UserPage):
    def get(self, request, pk):
        account = _get(User, pk)
        return self.render_to_response(self._context(account, UserForm(initial=_user_initial(account),
                                                                        user=account)))

    def post(self, request, pk):
        account = _get(User, pk)
        form = UserForm(request.POST, user=account)
        if form.is_valid():
            try:
                services.user_update(organization=request.user.organization, by=request.user, user=account,
                                     **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_USER_SAVED % {"name": account.username})
                return redirect("scrm:user-edit", pk=pk)
        return self.render_to_response(self._context(account, form), status=400)


class UserActiveView(_UserPage):
    http_method_names = ["post"]

    def post(self, request, pk):
        account = _get(User, pk)
        active = request.POST.get("active") == "1"
        try:
            services.user_set_active(organization=request.user.organization, by=request.user, user=account,
                                     active=active)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, (MSG_USER_REACTIVATED if active else MSG_USER_DEACTIVATED)
                             % {"name": account.username})
        return redirect("scrm:user-edit", pk=pk)


class UserPasswordResetView(_UserPage):
    http_method_names = ["post"]

    def post(self, request, pk):
        account = _get(User, pk)
        password = services.user_password_reset(organization=request.user.organization, by=request.user,
                                                user=account)
        return self.render_to_response(self._context(
            account, UserForm(initial=_user_initial(account), user=account), password=password))


# Agent profiles -------------------------------------------------------------------------------------------------


class AgentProfileForm(forms.Form):
    status = forms.ChoiceField(label=_("Presence"), choices=AgentProfile.Status.choices,
                               help_text=_("Only online agents are assigned tickets automatically."))
    max_open_tickets = forms.IntegerField(label=_("Capacity (open tickets at most)"), min_value=0, max_value=999)
    skills = forms.ModelMultipleChoiceField(label=_("Skills"), queryset=Skill.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    regions = forms.ModelMultipleChoiceField(label=_("Regions served"), queryset=Region.objects.none(),
                                             required=False, widget=forms.SelectMultiple(attrs={"size": 8}))
    new_skills = forms.CharField(label=_("New skills"), required=False, max_length=300,
                                 help_text=_("Skills not in the list yet, separated by commas (e.g. 安装, 英语)."))
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none(), required=False,
                                        empty_label=_("No supervisor"))

    def __init__(self, *args, may_add_skills=False, may_set_scope=False, own=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_add_skills:
            del self.fields["new_skills"]  # supervisors choose among the skills ops defined
        if not may_set_scope:
            # The regions served are the agent's data scope: only ops admins set them (and the supervisor).
            del self.fields["regions"], self.fields["supervisor"]
            if own:
                del self.fields["max_open_tickets"]
        self.fields["skills"].queryset = Skill.objects.order_by("name")
        if not self.fields["skills"].queryset.exists():
            del self.fields["skills"]  # none defined yet: ops name the first ones under "New skills"
        if may_set_scope:
            self.fields["regions"].queryset = Region.objects.order_by("path")
            self.fields["supervisor"].queryset = _supervisors()
        bootstrap(self)


class _AgentPage(_Page):
    """Ops admins from the settings module, supervisors from the tickets module (the board links here)."""

    rule = staticmethod(user_configures_agents)

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (user_can_use_module(user, "settings")
                                          or user_can_use_module(user, "tickets")):
            raise PermissionDenied
        self.module = "settings" if user_can_use_module(user, "settings") else "tickets"
        return super().dispatch(request, *args, **kwargs)


class AgentListView(_AgentPage):
    template_name = "scrm/people/agents.html"

    def get(self, request):
        profiles = selectors.agent_profiles_for(user=request.user).prefetch_related("skills")
        page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render_to_response(self.get_context_data(page=page))


class AgentEditView(_AgentPage):
    template_name = "scrm/people/agent_form.html"

    def profile(self, pk):
        try:
            return selectors.agent_profiles_for(user=self.request.user).get(pk=pk)
        except AgentProfile.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk):
        profile = self.profile(pk)
        initial = {"status": profile.status, "max_open_tickets": profile.max_open_tickets,
                   "skills": list(profile.skills.values_list("pk", flat=True)),
                   "regions": list(profile.regions.values_list("pk", flat=True)),
                   "supervisor": profile.supervisor_id}
        return self.render_to_response(self._context(profile, self.form(profile, initial=initial)))

    def form(self, profile, *args, **kwargs):
        user = self.request.user
        return AgentProfileForm(*args, may_add_skills=user.has_perm("scrm.add_skill"),
                                may_set_scope=user_manages_staff(user), own=profile.user_id == user.pk, **kwargs)

    def post(self, request, pk):
        profile = self.profile(pk)
        form = self.form(profile, request.POST)
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                data["new_skills"] = data.get("new_skills", "").replace("，", ",").split(",")
                services.agent_profile_save(organization=request.user.organization, by=request.user,
                                            profile=profile, **data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_AGENT_SAVED % {"name": profile.user})
                return redirect("scrm:agent-list")
        return self.render_to_response(self._context(profile, form), status=400)

    def _context(self, profile, form):
        return self.get_context_data(profile=profile, form=form, changes=selectors.settings_changes_of(profile))
