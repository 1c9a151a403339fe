from scrm.platform.access import user_custom_roles, user_roles
from scrm.platform.navigation import nav_for


def shell(request):
    """What base.html needs for the navigation and the user menu (computed once, lazily, per request)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": nav_for(user, request.path),
        "user_roles": user_roles(user),
        "user_custom_roles": user_custom_roles(user),
        "current_organization": user.organization,
    }
