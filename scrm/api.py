"""Core REST endpoints and the base every app's API builds on: organization scope and model permissions."""

from contextlib import ExitStack

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import RetrieveAPIView
from rest_framework.permissions import IsAuthenticated

from scrm import selectors
from scrm.errors import MSG_ORGANIZATION_SUSPENDED
from scrm.filters import RegionFilter
from scrm.models import Region, Team, User
from scrm.platform.tenancy import NO_ORGANIZATION_API, tenant_scope
from scrm.serializers import MeSerializer, RegionSerializer, TeamSerializer, UserSerializer


class TenantScopedAPIMixin:
    """Open the caller's organization scope once DRF has authenticated them (session or token).

    Token-authenticated requests pass the middleware as anonymous, so the scope is opened here, after
    authentication, by one `with` block around the whole dispatch: it is closed whatever the view raises (DRF
    skips `finalize_response` on an unhandled exception, so a scope closed there stayed open on the thread).
    A user with no organization (a platform operator) is refused: the API shows one organization's data.
    """

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._scope_stack = stack
            response = super().dispatch(request, *args, **kwargs)
            # Render inside the scope: serializers may still touch related tenant rows lazily.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        user = request.user
        if not user.is_authenticated:
            pass  # the permission classes below answer 401/403
        elif user.organization_id is None:
            raise PermissionDenied(NO_ORGANIZATION_API)
        elif user.organization.is_suspended:
            raise PermissionDenied(MSG_ORGANIZATION_SUSPENDED)
        else:
            self._scope_stack.enter_context(tenant_scope(user.organization_id))
        # Permissions and throttles run inside the scope: they may query the view's queryset.
        super().initial(request, *args, **kwargs)


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django model permissions, with `view_<model>` required to read (DRF's default lets any user read)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class TenantReadOnlyViewSet(TenantScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only endpoints of one tenant model; subclasses name the `model` and write `scoped_queryset()`."""

    permission_classes = [IsAuthenticated, ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs with no request scope: describe the model, query nothing.
            return self.model.objects.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


class RegionViewSet(TenantReadOnlyViewSet):
    model = Region
    serializer_class = RegionSerializer
    filterset_class = RegionFilter

    def scoped_queryset(self):
        return selectors.region_list().order_by("path")


class TeamViewSet(TenantReadOnlyViewSet):
    model = Team
    serializer_class = TeamSerializer
    filterset_fields = ["kind", "code"]

    def scoped_queryset(self):
        return selectors.team_list().order_by("name")


class UserViewSet(TenantReadOnlyViewSet):
    model = User
    serializer_class = UserSerializer
    filterset_fields = ["is_active", "username"]

    def scoped_queryset(self):
        return selectors.organization_users()


class MeView(TenantScopedAPIMixin, RetrieveAPIView):
    """Who the caller is: username, organization and roles."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user
