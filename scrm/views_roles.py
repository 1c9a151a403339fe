"""The roles page of the settings module: the preset roles (read-only) and the organization's own roles, which ops
admins define, change, deactivate and hand out. Only `user_may_manage_roles` passes; every write is a service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from scrm import selectors, services
from scrm.errors import MSG_ROLE_ASSIGNED, MSG_ROLE_SAVED, MSG_ROLE_UNASSIGNED, ScrmError
from scrm.forms_roles import RoleAssignForm, RoleForm, RoleUnassignForm
from scrm.models import CustomRole
from scrm.platform.access import ModuleRequiredMixin, user_may_manage_roles


class _RolesPage(ModuleRequiredMixin):
    module = "settings"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_may_manage_roles(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def role(self, pk):
        try:
            return selectors.custom_role_get(pk=pk)  # the open scope: another organization's role is not found
        except CustomRole.DoesNotExist as exc:
            raise Http404 from exc


class RoleListView(_RolesPage, TemplateView):
    template_name = "scrm/roles/list.html"

    def get_context_data(self, **kwargs):
        roles = list(selectors.custom_role_list())
        for role in roles:
            role.permission_count = len(role.grants.all())
        return super().get_context_data(presets=selectors.preset_role_summaries(), roles=roles, **kwargs)


class RoleFormView(_RolesPage, TemplateView):
    """Create a custom role (no pk) or change one, with its holders and history below the form."""

    template_name = "scrm/roles/form.html"

    def _initial(self, role):
        if role is None:
            return None
        return {"name": role.name, "description": role.description, "modules": role.modules,
                "permissions": selectors.custom_role_permission_names(role), "data_scope": role.data_scope,
                "masked_fields": role.masked_fields, "is_active": role.is_active}

    def get(self, request, pk=None):
        role = self.role(pk) if pk is not None else None
        return self.render_to_response(self._context(role, RoleForm(initial=self._initial(role))))

    def post(self, request, pk=None):
        role = self.role(pk) if pk is not None else None
        form = RoleForm(request.POST)
        if form.is_valid():
            try:
                role = services.role_save(organization=request.user.organization, by=request.user, role=role,
                                          **form.cleaned_data)
            except ScrmError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, MSG_ROLE_SAVED % {"name": role.name})
                return redirect("scrm:role-edit", pk=role.pk)
        return self.render_to_response(self._context(role, form), status=400)

    def _context(self, role, form):
        context = {"role": role, "form": form}
        if role is not None:
            context.update(
                holders=selectors.custom_role_holders(role=role),
                assign_form=RoleAssignForm(users=selectors.custom_role_assignable_users(role=role)),
                changes=selectors.custom_role_changes(role=role),
            )
        return self.get_context_data(**context)


class RoleAssignView(_RolesPage, View):
    def post(self, request, pk):
        role = self.role(pk)
        form = RoleAssignForm(request.POST, users=selectors.custom_role_assignable_users(role=role))
        if not form.is_valid():
            raise Http404  # a user of another organization (or none) is not among the choices
        try:
            services.role_assign(role=role, user=form.cleaned_data["user"], by=request.user)
        except ScrmError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, MSG_ROLE_ASSIGNED % {"user": form.cleaned_data["user"], "name": role.name})
        return redirect("scrm:role-edit", pk=role.pk)


class RoleUnassignView(_RolesPage, View):
    def post(self, request, pk):
        role = self.role(pk)
        form = RoleUnassignForm(request.POST, users=selectors.custom_role_holders(role=role))
        if not form.is_valid():
            raise Http404
        services.role_unassign(role=role, user=form.cleaned_data["user"], by=request.user)
        messages.success(request, MSG_ROLE_UNASSIGNED % {"user": form.cleaned_data["user"], "name": role.name})
        return redirect("scrm:role-edit", pk=role.pk)
