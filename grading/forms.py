from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from grading.notebook.errors import NotebookError
from grading.notebook.metadata import parse_source
from grading.notebook.read import read_notebook


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
        data = upload.read()
        try:
            parse_source(read_notebook(data))
        except NotebookError as exc:
            raise forms.ValidationError(list(exc.problems)) from exc
        return (upload.name, data)

    def save(self, commit=True):
        exercise = super().save(commit=commit)
        upload = self.cleaned_data.get("source_upload")
        if commit and upload:
            from .services import exercise_set_source

            name, data = upload
            exercise_set_source(exercise=exercise, data=data, filename=name)
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
