from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from grading.notebook.errors import NotebookError

from .services import exercise_set_source, exercise_source_check


class ExerciseAdminForm(WagtailAdminModelForm):
    """The Wagtail form for an exercise, with the source notebook as an upload."""

    source_upload = forms.FileField(
        label=_("Source notebook (.ipynb)"),
        required=False,
        help_text=_(
            "The instructor's notebook in nbgrader format, with solutions and hidden tests. "
            "It is checked in the sandbox after saving: the solution must score full marks "
            "and the student version zero."
        ),
    )

    def clean_source_upload(self):
        upload = self.cleaned_data.get("source_upload")
        if not upload:
            if not self.instance.source_notebook:
                raise forms.ValidationError(_("Upload the source notebook."))
            return None
        try:
            # the check the service makes before storing; save() hands its result on
            checked = exercise_source_check(upload.read())
        except NotebookError as exc:
            raise forms.ValidationError(list(exc.problems)) from exc
        return (upload.name, checked)

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
        if self.instance.pk is None and self.for_user is not None:
            self.instance.created_by = self.for_user  # the author manages it from now on
        exercise = super().save(commit=commit)
        upload = self.cleaned_data.get("source_upload")
        if commit and upload:
            name, checked = upload
            exercise_set_source(exercise=exercise, checked=checked, filename=name)
        return exercise


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
