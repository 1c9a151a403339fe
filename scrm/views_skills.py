"""The skills page of the settings module: the skills agents have and queues or ticket types require, named,
renamed and deleted through `skill_save` / `skill_delete` (audited). Ops admins only (the skill model permissions
of scrm.platform.roles)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.models import SettingsChange, Skill
from scrm.platform.access import ModuleRequiredMixin, settings_delete_response, settings_form_errors
from scrm.services import skill_delete, skill_save

MSG_SKILL_SAVED = _("Skill “%(name)s” saved.")


def user_configures_skills(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("scrm.add_skill") and user.has_perm("scrm.change_skill"))


class SkillForm(forms.Form):
    name = forms.CharField(label=_("Skill name"), max_length=50,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class SkillView(ModuleRequiredMixin, TemplateView):
    """The skills with how many agents have each and, beside them, the form: a new skill, or `<pk>/` to rename."""

    module = "settings"
    template_name = "scrm/skills.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_skills(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def skill(self, pk):
        if pk is None:
            return None
        try:
            return Skill.objects.get(pk=pk)  # the open scope: another organization's is not found
        except Skill.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk=None):
        skill = self.skill(pk)
        return self.render_to_response(self._context(skill, SkillForm(initial={"name": skill.name} if skill else None)))

    def post(self, request, pk=None):
        skill = self.skill(pk)
        form = SkillForm(request.POST)
        if form.is_valid():
            try:
                saved = skill_save(organization=request.user.organization, by=request.user, skill=skill,
                                   **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_SKILL_SAVED % {"name": saved.name})
                return redirect("scrm:skill-list")
        return self.render_to_response(self._context(self.skill(pk), form), status=400)

    def _context(self, skill, form):
        skills = Skill.objects.annotate(agent_count=Count("agents")).order_by("name")
        changes = (SettingsChange.objects.filter(subject="scrm.skill", subject_id=skill.pk)
                   .select_related("by")[:20] if skill else [])
        return self.get_context_data(skill=skill, form=form, skills=skills, changes=changes)


class SkillDeleteView(SkillView):
    """POST: the skill comes off the agents who have it; refused while a queue or ticket type requires it."""

    http_method_names = ["post"]

    def post(self, request, pk):
        skill = self.skill(pk)
        return settings_delete_response(
            request, lambda: skill_delete(organization=request.user.organization, by=request.user, skill=skill),
            name=skill.name, done="scrm:skill-list", back=reverse("scrm:skill-edit", args=[pk]))
