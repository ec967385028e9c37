"""Forms of the courses app: assigning a course to a cohort, searching courses."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from curricula.models import Competence
from people.models import Cohort, Track

from .models import CoursePage


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cohort) -> str:
        return f"{obj.name} · {obj.institution.name} ({obj.academic_year})"


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CoursePage) -> str:
        return obj.title


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class AssignmentForm(forms.Form):
    """Assign a course to a cohort with optional start and due dates. Either the course
    or the cohort is fixed by the page the form is on; the other is chosen."""

    course = CourseChoiceField(label=_("Course"), queryset=CoursePage.objects.none())
    cohort = CohortChoiceField(label=_("Cohort"), queryset=Cohort.objects.none())
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DateInput())
    due_on = forms.DateField(
        label=_("Due on"),
        required=False,
        widget=DateInput(),
        help_text=_("Students see it on their dashboard; the progress page flags who is behind."),
    )

    def __init__(self, *args, cohorts=None, courses=None, course=None, cohort=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_course, self.fixed_cohort = course, cohort
        if course is not None:
            del self.fields["course"]
        else:
            self.fields["course"].queryset = courses
        if cohort is not None:
            del self.fields["cohort"]
        else:
            self.fields["cohort"].queryset = cohorts
            self.fields["cohort"].help_text = _("Only the cohorts you teach.")

    def clean(self):
        cleaned = super().clean()
        starts, due = cleaned.get("starts_on"), cleaned.get("due_on")
        if starts and due and due < starts:
            self.add_error("due_on", _("The due date must be on or after the start date."))
        return cleaned

    @property
    def chosen_course(self) -> CoursePage:
        return self.fixed_course or self.cleaned_data["course"]

    @property
    def chosen_cohort(self) -> Cohort:
        return self.fixed_cohort or self.cleaned_data["cohort"]

    @property
    def starts_at(self) -> datetime | None:
        day = self.cleaned_data.get("starts_on")
        return timezone.make_aware(datetime.combine(day, time.min)) if day else None

    @property
    def due_at(self) -> datetime | None:
        day = self.cleaned_data.get("due_on")
        # due at the end of the day, in the platform's time zone
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59))) if day else None


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search courses and lessons"), required=False, max_length=200)
    track = forms.ChoiceField(
        label=_("Track"), required=False, choices=[("", _("All tracks")), *Track.choices]
    )
    language = forms.ChoiceField(
        label=_("Language of instruction"),
        required=False,
        choices=[("", _("Any language")), *settings.LANGUAGES],
    )


class CompetenceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class QuestionImportForm(forms.Form):
    """A question bank file and what its questions count for. The preview step sends the
    file back as `bank_data` (base64), so nothing is kept on the server between steps."""

    file = forms.FileField(
        label=_("Question bank file"),
        required=False,
        help_text=_("Moodle XML (.xml) or GIFT (.gift, .txt), as Moodle exports them."),
    )
    bank_data = forms.CharField(widget=forms.HiddenInput, required=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)
    competence = CompetenceChoiceField(
        label=_("Competence"),
        queryset=None,
        help_text=_("Every imported question is evidence for this competence."),
    )
    level = forms.IntegerField(label=_("Proficiency level"), min_value=1, max_value=8, initial=1)
    title = forms.CharField(label=_("Quiz title"), required=False, max_length=200)
    pass_percent = forms.IntegerField(
        label=_("Pass mark (%)"), min_value=1, max_value=100, initial=60
    )
    publish = forms.BooleanField(
        label=_("Publish the lesson with the new quiz"),
        required=False,
        help_text=_("Otherwise the quiz is saved as a draft of the lesson, to review first."),
    )

    def __init__(self, *args, may_publish: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.all()
        if not may_publish:
            del self.fields["publish"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("bank_data"):
            self.add_error("file", _("Choose a question bank file."))
        return cleaned
