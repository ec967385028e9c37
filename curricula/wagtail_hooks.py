"""Competence frameworks in the Wagtail admin: one editor per framework, with its levels,
areas and (nested in each area) competences."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import DeleteView, SnippetViewSet

from .forms import CompetenceFrameworkForm, blocked_deletion
from .models import CompetenceFramework


class CompetenceFrameworkDeleteView(DeleteView):
    """Wagtail's delete view checks the model permission only; shipped frameworks and
    frameworks whose competences carry evidence must stay."""

    def dispatch(self, request, *args, **kwargs):
        if not self.user_has_permission_for_instance("delete", self.object):
            raise PermissionDenied
        if request.method == "POST" and blocked_deletion([self.object]):
            messages.error(
                request,
                _t("%(framework)s is already used (by exercises or results): keep it.")
                % {"framework": self.object},
            )
            return redirect(self.edit_url_name, self.object.pk)
        return super().dispatch(request, *args, **kwargs)


class CompetenceFrameworkViewSet(SnippetViewSet):
    model = CompetenceFramework
    delete_view_class = CompetenceFrameworkDeleteView
    icon = "list-ul"
    menu_label = _("Competence frameworks")
    menu_name = "competence-frameworks"
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["__str__", "slug", "kind"]
    list_filter = ["kind"]
    search_fields = ["name_en", "name_az", "name_ru", "slug"]
    search_backend_name = None  # a handful of rows: the database filters them
    edit_handler = ObjectList(CompetenceFramework.panels, base_form_class=CompetenceFrameworkForm)


register_snippet(CompetenceFrameworkViewSet)
