from django.utils.translation import gettext_lazy as _

from scrm.views import ModulePendingView


class FormsBuilderIndexView(ModulePendingView):
    module = "forms"
    title = _("Forms")
    description = _("Drag-and-drop forms whose submissions become tickets.")
