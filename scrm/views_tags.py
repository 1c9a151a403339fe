"""The tags page of the settings module: tags by group, create and change through `tag_save` (audited). Ops
admins only (the tag model permissions of scrm.platform.roles)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from scrm.forms import bootstrap
from scrm.models import Tag, TagGroup
from scrm.platform.access import ModuleRequiredMixin, settings_delete_response, settings_form_errors
from scrm.services import tag_delete, tag_group_delete, tag_group_save, tag_save

MSG_TAG_SAVED = _("Tag “%(name)s” saved.")
MSG_GROUP_SAVED = _("Tag group “%(name)s” saved.")


def user_configures_tags(user):
    return (user.is_authenticated and user.organization_id is not None
            and user.has_perm("scrm.add_tag") and user.has_perm("scrm.change_tag"))


class TagForm(forms.Form):
    name = forms.CharField(label=_("Tag name"), max_length=50)
    color = forms.ChoiceField(label=_("Colour"), choices=Tag.Color.choices)
    group = forms.ModelChoiceField(label=_("Group"), queryset=TagGroup.objects.none(), required=False,
                                   empty_label=_("New group…"))
    new_group = forms.CharField(label=_("New group name"), max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = TagGroup.objects.order_by("sort_order", "name")
        bootstrap(self)


class TagListView(ModuleRequiredMixin, TemplateView):
    """The list and, beside it, the form: a new tag, or `?edit=<pk>` / POST to `<pk>/` to change one."""

    module = "settings"
    template_name = "scrm/tags.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_configures_tags(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def tag(self, pk):
        if pk is None:
            return None
        try:
            return Tag.objects.select_related("group").get(pk=pk)
        except Tag.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk=None):
        tag = self.tag(pk)
        initial = {"name": tag.name, "color": tag.color, "group": tag.group_id} if tag else None
        return self.render_to_response(self._context(tag, TagForm(initial=initial)))

    def post(self, request, pk=None):
        tag = self.tag(pk)
        form = TagForm(request.POST)
        if form.is_valid():
            try:
                saved = tag_save(organization=request.user.organization, by=request.user, tag=tag,
                                 **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_TAG_SAVED % {"name": saved.name})
                return redirect("scrm:tag-list")
        return self.render_to_response(self._context(tag, form), status=400)

    def _context(self, tag, form, **kwargs):
        groups = TagGroup.objects.prefetch_related("tags").order_by("sort_order", "name")
        return self.get_context_data(tag=tag, form=form, groups=groups, **kwargs)


class TagGroupForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=50)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767,
                                    help_text=_("Groups are listed by this number, then by name."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class TagGroupView(TagListView):
    """`groups/<pk>/`: the list and, beside it, the group's name and place (`tag_group_save`, audited)."""

    def group(self, pk):
        try:
            return TagGroup.objects.get(pk=pk)
        except TagGroup.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request, pk):
        group = self.group(pk)
        form = TagGroupForm(initial={"name": group.name, "sort_order": group.sort_order})
        return self.render_to_response(self._context(None, None, group=group, group_form=form))

    def post(self, request, pk):
        group = self.group(pk)
        form = TagGroupForm(request.POST)
        if form.is_valid():
            try:
                saved = tag_group_save(organization=request.user.organization, by=request.user, group=group,
                                       **form.cleaned_data)
            except ValidationError as exc:
                settings_form_errors(form, exc)
            else:
                messages.success(request, MSG_GROUP_SAVED % {"name": saved.name})
                return redirect("scrm:tag-list")
        return self.render_to_response(self._context(None, None, group=self.group(pk), group_form=form), status=400)


class TagGroupDeleteView(TagGroupView):
    """POST: an empty group goes; one still holding tags is refused with how many."""

    http_method_names = ["post"]

    def post(self, request, pk):
        group = self.group(pk)
        return settings_delete_response(
            request, lambda: tag_group_delete(organization=request.user.organization, by=request.user, group=group),
            name=group.name, done="scrm:tag-list", back=reverse("scrm:tag-group", args=[pk]))


class TagDeleteView(TagListView):
    """POST: the tag comes off every customer and ticket; refused while a routing rule adds it."""

    http_method_names = ["post"]

    def post(self, request, pk):
        tag = self.tag(pk)
        return settings_delete_response(
            request, lambda: tag_delete(organization=request.user.organization, by=request.user, tag=tag),
            name=tag.name, done="scrm:tag-list", back=reverse("scrm:tag-edit", args=[pk]))
