"""Exercises in the Wagtail admin: teachers upload notebooks and map cells to competences.
And grading's section of people's dashboard (sections.py)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenView,
)
from wagtail.snippets.views.snippets import (
    CopyView,
    DeleteView,
    EditView,
    HistoryView,
    InspectView,
    SnippetViewSet,
    UsageView,
)

from people.sections import COHORT_PAGE_SECTIONS, DASHBOARD_SECTIONS

from . import access, sections, services
from .forms import ExerciseAdminForm
from .models import Exercise


class ReportColumn(Column):
    def get_value(self, instance):
        url = reverse("grading:exercise-manage", args=[instance.pk])
        return format_html('<a href="{}">{}</a>', url, _("Results and regrading"))


# Teachers hold the model permissions to add, change and view exercises (permissions.py):
# on their own, those would open any exercise to any teacher. So every view of one
# exercise fetches it through ManagedExerciseOnly, and the list and the chooser list only
# the exercises the user manages (access.managed_exercises: their own, those of courses
# assigned to a cohort they teach; every one for curriculum leads and staff).
# tests/grading/test_admin_scope.py checks every view of the viewset that takes an id.


class ManagedExerciseOnly:
    """A view of one exercise: refused unless the user manages it."""

    def get_object(self, *args, **kwargs):
        exercise = super().get_object(*args, **kwargs)
        if not access.may_manage(self.request.user, exercise):
            raise PermissionDenied
        return exercise


class ExerciseEditView(ManagedExerciseOnly, EditView):
    pass


class ExerciseCopyView(ManagedExerciseOnly, CopyView):
    pass


class ExerciseDeleteView(ManagedExerciseOnly, DeleteView):
    pass


class ExerciseUsageView(ManagedExerciseOnly, UsageView):
    pass


class ExerciseHistoryView(ManagedExerciseOnly, HistoryView):
    pass


class ExerciseInspectView(ManagedExerciseOnly, InspectView):
    pass


class ManagedExerciseChoices:
    def get_object_list(self):
        return access.managed_exercises(self.request.user)


class ExerciseChooseView(ManagedExerciseChoices, ChooseView):
    pass


class ExerciseChooseResultsView(ManagedExerciseChoices, ChooseResultsView):
    pass


class ExerciseChosenView(SnippetChosenView):
    def get_object(self, pk):
        return access.managed_exercises(self.request.user).get(pk=pk)


class ExerciseChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ExerciseChooseView
    choose_results_view_class = ExerciseChooseResultsView
    chosen_view_class = ExerciseChosenView


class ExerciseViewSet(SnippetViewSet):
    model = Exercise
    edit_view_class = ExerciseEditView
    copy_view_class = ExerciseCopyView
    delete_view_class = ExerciseDeleteView
    usage_view_class = ExerciseUsageView
    history_view_class = ExerciseHistoryView
    inspect_view_class = ExerciseInspectView
    chooser_viewset_class = ExerciseChooserViewSet
    icon = "code"
    menu_label = _("Notebook exercises")
    menu_order = 250
    add_to_admin_menu = True
    list_display = [
        "title",
        "status",
        "course",
        "max_score",
        "updated_at",
        ReportColumn("report", label=_("Report")),
    ]
    list_filter = ["status"]
    search_fields = ["title", "slug", "description"]

    def get_queryset(self, request):
        return access.managed_exercises(request.user).select_related("course")

    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("course"),
            FieldPanel("source_upload"),
            FieldPanel("runtime"),
            HelpPanel(
                content=_(
                    "Data files the notebook reads (a CSV, an image) are added on the "
                    "exercise's “Results and regrading” page, linked from the list of exercises."
                ),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("max_attempts"), FieldPanel("due_at")]),
                    FieldRowPanel([FieldPanel("late_policy"), FieldPanel("late_penalty_percent")]),
                    FieldRowPanel([FieldPanel("memory_mb"), FieldPanel("cpu_seconds")]),
                    FieldRowPanel([FieldPanel("cell_timeout_s"), FieldPanel("notebook_timeout_s")]),
                ],
                heading=_("Attempts, deadline and limits"),
            ),
            MultiFieldPanel(
                [FieldPanel("pass_threshold"), FieldPanel("test_hints")],
                heading=_("Passing and hints"),
            ),
            InlinePanel(
                "competence_links",
                heading=_("Competences"),
                label=_("Graded cell evidences competence"),
            ),
        ],
        base_form_class=ExerciseAdminForm,
    )


register_snippet(ExerciseViewSet)


class UnsandboxedWarningPanel(Component):
    """Shown on the admin dashboard while student code may run without a sandbox."""

    name = "unsandboxed_warning"
    order = 10

    def render_html(self, parent_context=None):
        return format_html(
            '<section class="panel help-block help-critical" role="alert">'
            "<h2>{}</h2><p>{}</p></section>",
            _("Grading runs WITHOUT a sandbox"),
            _(
                "GRADING_ALLOW_UNSANDBOXED is on: student notebooks run with the grader's "
                "rights. This is for local development only; never use it with real students."
            ),
        )


@hooks.register("construct_homepage_panels")
def add_unsandboxed_warning(request, panels):
    if settings.GRADING_ALLOW_UNSANDBOXED:
        panels.insert(0, UnsandboxedWarningPanel())


# The student's recent results, between courses' "my courses" (100) and skill profile (300).
hooks.register(DASHBOARD_SECTIONS, sections.recent_results, order=200)
# The teacher's to-do first: the needs-grading queue and each cohort's results, above
# courses' "courses of my cohorts" (100); on the cohort page, above its courses (100).
hooks.register(DASHBOARD_SECTIONS, sections.teacher_home, order=50)
hooks.register(COHORT_PAGE_SECTIONS, sections.cohort_grading, order=50)


@hooks.register("before_delete_snippet")
def retract_deleted_exercises(request, instances):
    """A teacher deletes exercises (one, or several at once): their submissions cascade,
    and the evidence and passes they gave students are retracted with them."""
    exercise_ids = [i.pk for i in instances if isinstance(i, Exercise)]
    if exercise_ids:
        services.exercise_outcomes_retract(exercise_ids=exercise_ids)
