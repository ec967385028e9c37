from django import forms
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm

from grading.notebook.errors import NotebookError
from grading.notebook.types import SandboxLimits

from . import tasks
from .datafiles import DataFileLimits, data_file_problems
from .models import Exercise, ExerciseFile
from .services import (
    RuntimeRefused,
    exercise_check_again,
    exercise_outcomes_refresh,
    exercise_runtime,
    exercise_set_source,
    exercise_source_check,
    runtimes_installed,
)

_DEFAULTS = SandboxLimits()
# Grading runs the notebook twice (the student version, then with the hidden tests) inside
# one task: the whole notebook must fit twice in the task's soft time limit.
MAX_NOTEBOOK_SECONDS = tasks.GRADING_SOFT_LIMIT // 2


def _limit_field(label, key: str, low: int, high: int, help_text) -> forms.IntegerField:
    default = f"{getattr(_DEFAULTS, key):g}"
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"placeholder": default, "min": low, "max": high}),
    )


# SandboxLimits keys the exercise form sets (the others keep the platform's defaults).
# Each field shows the default as its placeholder; left empty, the default applies.
LIMIT_FIELDS = {
    "memory_mb": _limit_field(
        _("Memory (MB)"),
        "memory_mb",
        64,
        4096,
        _("Memory the student's kernel may really use. Empty: the default shown."),
    ),
    "cpu_seconds": _limit_field(
        _("CPU seconds"),
        "cpu_seconds",
        1,
        600,
        _("Processor time for the whole notebook. Empty: the default shown."),
    ),
    "cell_timeout_s": _limit_field(
        _("Seconds per cell"),
        "cell_timeout_s",
        1,
        MAX_NOTEBOOK_SECONDS,
        _("Wall-clock time one cell may take. Empty: the default shown."),
    ),
    "notebook_timeout_s": _limit_field(
        _("Seconds for the whole notebook"),
        "notebook_timeout_s",
        1,
        MAX_NOTEBOOK_SECONDS,
        _("Wall-clock time the whole notebook may take. Empty: the default shown."),
    ),
}


def _runtime_choices(current: str) -> tuple[list[tuple[str, str]], str]:
    """The runtime select's choices and its help text listing the installed runtimes."""
    installed = runtimes_installed()
    choices = [("", _t("From the notebook's kernel (python3: data science)"))]
    choices += [(rt.name, f"{rt.name}: {rt.title}") for rt in installed]
    if current and current not in {rt.name for rt in installed}:
        choices.append((current, _t("%(name)s (not installed here)") % {"name": current}))
    listing = "; ".join(
        _t("%(name)s, version %(version)s: %(title)s")
        % {"name": rt.name, "version": rt.version, "title": rt.title}
        for rt in installed
    )
    help_text = _t(
        "The Python environment student code runs in, with its packages. Installed "
        "runtimes: %(list)s."
    ) % {"list": listing or _t("none (run: make runtimes)")}
    return choices, help_text


MAX_HINT_CHARS = 500


class TestHintsWidget(forms.Widget):
    """One text box per test cell of the exercise (grade_ids), named by position: a
    grade_id is the teacher's text and can hold any character."""

    template_name = "grading/widgets/test_hints.html"

    def __init__(self, attrs=None, grade_ids=()):
        super().__init__(attrs)
        self.grade_ids = tuple(grade_ids)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = value if isinstance(value, dict) else {}
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["max_length"] = MAX_HINT_CHARS
        context["widget"]["hints"] = [
            {
                "grade_id": grade_id,
                "name": f"{name}-{position}",
                "id": f"{base_id}-{position}",
                "value": value.get(grade_id, "") if isinstance(value.get(grade_id), str) else "",
            }
            for position, grade_id in enumerate(self.grade_ids)
        ]
        return context

    def value_from_datadict(self, data, files, name):
        return {
            grade_id: data.get(f"{name}-{position}", "")
            for position, grade_id in enumerate(self.grade_ids)
        }

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{position}" in data for position in range(len(self.grade_ids)))

    def id_for_label(self, id_):
        return f"{id_}-0" if id_ and self.grade_ids else ""


class TestHintsField(forms.Field):
    """Exercise.test_hints: {grade_id: hint} for the exercise's tests; empty ones left out."""

    widget = TestHintsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def set_tests(self, grade_ids) -> None:
        self.widget.grade_ids = tuple(grade_ids)

    def to_python(self, value):
        if not isinstance(value, dict):
            return {}
        return {
            str(grade_id): text.strip()
            for grade_id, text in value.items()
            if isinstance(text, str) and text.strip()
        }

    def validate(self, value):
        super().validate(value)
        too_long = sorted(k for k, text in value.items() if len(text) > MAX_HINT_CHARS)
        if too_long:
            raise forms.ValidationError(
                ngettext(
                    "A hint has at most %(max)d character (too long: %(tests)s).",
                    "A hint has at most %(max)d characters (too long: %(tests)s).",
                    MAX_HINT_CHARS,
                )
                % {"max": MAX_HINT_CHARS, "tests": ", ".join(too_long)}
            )


class ExerciseAdminForm(WagtailAdminModelForm):
    """The Wagtail form for an exercise, with the source notebook as an upload, the runtime
    as a select of the installed ones and the sandbox limits as number fields."""

    runtime = forms.ChoiceField(label=_("Runtime"), required=False)
    memory_mb = LIMIT_FIELDS["memory_mb"]
    cpu_seconds = LIMIT_FIELDS["cpu_seconds"]
    cell_timeout_s = LIMIT_FIELDS["cell_timeout_s"]
    notebook_timeout_s = LIMIT_FIELDS["notebook_timeout_s"]
    pass_threshold = forms.IntegerField(
        label=_("Pass mark (percent of auto-graded points)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_(
            "When the exercise counts as passed for its lesson: this share of the points of "
            "its auto-graded tests. Empty: every one of them. Cells graded by hand never "
            "hold a student back."
        ),
        widget=forms.NumberInput(attrs={"placeholder": "100", "min": 0, "max": 100}),
    )
    test_hints = TestHintsField(
        label=_("Hints for the tests"),
        help_text=_(
            "Shown with a test's result when it fails, after its name: for a hidden test the "
            "only words a student gets. Results graded from now on have them (regrade for "
            "earlier ones)."
        ),
    )

    source_upload = forms.FileField(
        label=_("Source notebook (.ipynb)"),
        required=False,
        help_text=_(
            "The instructor's notebook in nbgrader format, with solutions and hidden tests. "
            "It is checked in the sandbox after saving: the solution must score full marks "
            "and the student version zero."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_runtime = self.instance.runtime
        self._stored_limits = dict(self.instance.limits or {})
        choices, help_text = _runtime_choices(self.instance.runtime)
        if "runtime" in self.fields:
            self.fields["runtime"].choices = choices
            self.fields["runtime"].help_text = help_text
        for key in LIMIT_FIELDS:
            if key in self.fields and not self.is_bound:
                self.fields[key].initial = self._stored_limits.get(key)
        self._stored_pass_threshold = self.instance.pass_threshold
        if "test_hints" in self.fields and self.instance.source_notebook:
            self.fields["test_hints"].set_tests(
                cell.grade_id for cell in self.instance.source_spec.tests
            )

    def clean_source_upload(self):
        upload = self.cleaned_data.get("source_upload")
        if not upload:
            if not self.instance.source_notebook:
                raise forms.ValidationError(_("Upload the source notebook."))
            return None
        return upload  # checked in clean(), with the runtime chosen beside it

    def clean(self):
        cleaned = super().clean()
        runtime = cleaned.get("runtime") or ""
        upload = cleaned.get("source_upload")
        try:
            if upload:
                # the check the service makes before storing; save() hands its result on
                cleaned["source_upload"] = (
                    upload.name,
                    exercise_source_check(upload.read(), runtime=runtime),
                )
            elif self.instance.source_notebook and "runtime" in self.fields:
                exercise_runtime(notebook=self.instance.source_notebook, runtime=runtime)
        except RuntimeRefused as exc:
            self.add_error("runtime" if exc.chosen or not upload else "source_upload", exc.problems)
        except NotebookError as exc:
            self.add_error("source_upload", list(exc.problems))
        notebook_s, cell_s = cleaned.get("notebook_timeout_s"), cleaned.get("cell_timeout_s")
        if notebook_s is not None and cell_s is not None and cell_s > notebook_s:
            self.add_error(
                "cell_timeout_s",
                _("A cell cannot have more time than the whole notebook (%(s)s s).")
                % {"s": notebook_s},
            )
        return cleaned

    def _limits(self) -> dict:
        """The stored limits with the form's fields applied (empty: the default)."""
        limits = dict(self._stored_limits)
        for key in LIMIT_FIELDS:
            if key not in self.fields:
                continue
            value = self.cleaned_data.get(key)
            if value is None:
                limits.pop(key, None)
            else:
                limits[key] = value
        return limits

    def is_valid(self):
        # the competence rows are a formset, cleaned after this form's own clean()
        return super().is_valid() and self._competence_cells_exist()

    def _graded_cell_ids(self) -> set[str] | None:
        upload = self.cleaned_data.get("source_upload")
        if upload:
            spec = upload[1].spec
        elif self.instance.source_notebook:
            spec = self.instance.source_spec  # stored with the source
        else:
            return None
        return {cell.grade_id for cell in spec.cells}

    def _competence_cells_exist(self) -> bool:
        """A competence must hang on a graded cell of the notebook, or it never gets evidence."""
        formset = self.formsets.get("competence_links")
        graded = self._graded_cell_ids()
        if formset is None or graded is None:
            return True
        ok = True
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            grade_id = data.get("grade_id")
            if data.get("DELETE") or not grade_id or grade_id in graded:
                continue
            form.add_error(
                "grade_id",
                _("The notebook has no graded cell “%(id)s”. Graded cells: %(ids)s.")
                % {"id": grade_id, "ids": ", ".join(sorted(graded))},
            )
            ok = False
        return ok

    def save(self, commit=True):
        is_new = self.instance.pk is None
        if is_new and self.for_user is not None:
            self.instance.created_by = self.for_user  # the author manages it from now on
        self.instance.limits = self._limits()
        exercise = super().save(commit=commit)
        upload = self.cleaned_data.get("source_upload")
        if commit and upload:
            name, checked = upload
            exercise_set_source(exercise=exercise, checked=checked, filename=name)
        elif (
            commit
            and not is_new
            and (exercise.runtime != self._stored_runtime or exercise.limits != self._stored_limits)
        ):
            # the solution may not pass in another runtime or within other limits
            exercise_check_again(exercise=exercise)
        if commit and not is_new and exercise.pass_threshold != self._stored_pass_threshold:
            exercise_outcomes_refresh(exercise=exercise)  # who passed may have changed
        return exercise


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files from one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class DataFilesForm(forms.Form):
    """Data files a teacher adds to an exercise, optionally into a folder. Checked by their
    sizes before anything is read (grading.datafiles): a refused upload stores nothing."""

    files = MultipleFileField(
        label=_("Data files"),
        help_text=_("Files the notebook reads (a CSV, an image...): they go with the notebook."),
    )
    folder = forms.CharField(
        label=_("Folder (optional)"),
        required=False,
        max_length=200,
        help_text=_("For a notebook that opens data/measurements.csv, type: data"),
    )

    def __init__(self, *args, exercise: Exercise, **kwargs):
        super().__init__(*args, **kwargs)
        self.exercise = exercise

    def clean(self):
        cleaned = super().clean()
        uploads = cleaned.get("files") or []
        if not uploads:
            return cleaned
        folder = (cleaned.get("folder") or "").strip().rstrip("/")
        named = [
            (f"{folder}/{upload.name}" if folder else upload.name, upload) for upload in uploads
        ]
        paths = {path for path, _upload in named}
        kept = ExerciseFile.objects.filter(exercise=self.exercise).exclude(path__in=paths)
        problems = data_file_problems(
            [*kept.values_list("path", "size"), *((path, up.size) for path, up in named)],
            DataFileLimits.from_settings(),
        )
        if problems:
            raise forms.ValidationError(problems)
        cleaned["contents"] = [(path, upload.read()) for path, upload in named]
        return cleaned


class SubmissionUploadForm(forms.Form):
    notebook = forms.FileField(
        label=_("Your notebook (.ipynb)"),
        help_text=_("The exercise notebook with your answers, saved in Jupyter."),
    )


class ManualGradeForm(forms.Form):
    score = forms.FloatField(label=_("Score"), min_value=0)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
