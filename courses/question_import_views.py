"""The lesson's "Import questions" page in the Wagtail admin: upload a Moodle XML or GIFT
file, see what was understood and what was skipped and why, then add it as a new quiz.
Two steps, no state kept between them: the preview carries the file back."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services
from .forms import QuestionImportForm
from .models import LessonPage
from .questionbank import QuestionBankError, question_bank_read
from .questionbank.read import MAX_BYTES


def question_import(request, page_id: int):
    lesson = get_object_or_404(LessonPage, pk=page_id)
    permissions = lesson.permissions_for_user(request.user)
    if not permissions.can_edit():
        raise PermissionDenied
    may_publish = permissions.can_publish()
    bank, problem = None, ""
    if request.method == "POST":
        form = QuestionImportForm(request.POST, request.FILES, may_publish=may_publish)
        if form.is_valid():
            data, filename = _file_of(form)
            if data is None:
                problem = _("The file could not be read back; choose it again.")
            else:
                try:
                    bank = question_bank_read(data, filename=filename)
                except QuestionBankError as exc:
                    problem = exc.message
            if bank is not None and "confirm" in request.POST:
                try:
                    outcome = services.lesson_questions_import(
                        lesson=lesson,
                        bank=bank,
                        competence=form.cleaned_data["competence"],
                        level=form.cleaned_data["level"],
                        user=request.user,
                        title=form.cleaned_data["title"],
                        pass_percent=form.cleaned_data["pass_percent"],
                        publish=bool(form.cleaned_data.get("publish")),
                    )
                except services.QuestionImportRefused as exc:
                    problem = exc.message
                else:
                    message = (
                        _("A quiz of %(count)d questions was added and the lesson published.")
                        if outcome.published
                        else _("A quiz of %(count)d questions was added to a draft of the lesson.")
                    )
                    messages.success(request, message % {"count": outcome.questions})
                    return redirect("wagtailadmin_pages:edit", lesson.pk)
            if bank is not None:
                form = QuestionImportForm(
                    {
                        **{k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"},
                        "bank_data": base64.b64encode(data).decode("ascii"),
                        "filename": filename,
                    },
                    may_publish=may_publish,
                )
                form.is_valid()
    else:
        form = QuestionImportForm(may_publish=may_publish)
    return TemplateResponse(
        request,
        "courses/admin/question_import.html",
        {
            "lesson": lesson,
            "form": form,
            "bank": bank,
            "problem": problem,
            "page_title": _("Import questions"),
            "page_subtitle": lesson.title,
            "header_title": _("Import questions"),
            "header_icon": "help",
        },
    )


def _file_of(form: QuestionImportForm) -> tuple[bytes | None, str]:
    upload = form.cleaned_data.get("file")
    if upload:
        if upload.size > MAX_BYTES:
            return upload.read(MAX_BYTES + 1), upload.name
        return upload.read(), upload.name
    try:
        data = base64.b64decode(form.cleaned_data["bank_data"], validate=True)
    except (binascii.Error, ValueError):
        return None, ""
    return data, form.cleaned_data.get("filename") or ""
