"""The framework editor's form: checks that span the framework and its nested inlines."""

from __future__ import annotations

from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import CompetenceFramework

Structure = tuple[str, str, frozenset[int], dict[str, frozenset[str]]]


def _kept_forms(formset):
    """Forms that will be saved: not deleted, and not an untouched blank extra form."""
    deleted = set(map(id, formset.deleted_forms)) if formset.can_delete else set()
    return [
        form
        for form in formset.forms
        if id(form) not in deleted
        and hasattr(form, "cleaned_data")
        and (form.instance.pk or form.has_changed())
    ]


def blocked_deletion(objects) -> bool:
    """Would deleting these fail because other records (e.g. graded evidence) protect them?"""
    objects = [obj for obj in objects if obj.pk]
    if not objects:
        return False
    collector = Collector(using=router.db_for_write(type(objects[0])))
    try:
        collector.collect(objects)
    except (ProtectedError, RestrictedError):
        return True
    return False


def _deleted_instances(formset):
    if not formset.can_delete:
        return []
    return [form.instance for form in formset.deleted_forms if form.instance.pk]


def stored_structure(framework: CompetenceFramework) -> Structure:
    """Slug, kind, level numbers and competence codes per area, as stored."""
    areas: dict[str, set[str]] = {}
    for area in framework.areas.all():
        areas[area.code] = set()
    for area_code, code in framework.areas.values_list("code", "competences__code"):
        if code is not None:
            areas[area_code].add(code)
    return (
        framework.slug,
        framework.kind,
        frozenset(framework.levels.values_list("number", flat=True)),
        {code: frozenset(codes) for code, codes in areas.items()},
    )


class CompetenceFrameworkForm(WagtailAdminModelForm):
    """Competence codes are unique within a framework; a shipped framework keeps its codes.

    The checks need the nested area and competence formsets, which are validated after the
    form itself, so they run at the end of is_valid().
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not valid:
            return False
        problems = self.structure_problems()
        for problem in problems:
            self.add_error(None, problem)
        return not problems

    def submitted_structure(self) -> Structure:
        areas: dict[str, frozenset[str]] = {}
        for area_form in _kept_forms(self.formsets["areas"]):
            competences = _kept_forms(area_form.formsets["competences"])
            areas[area_form.cleaned_data["code"]] = frozenset(
                form.cleaned_data["code"] for form in competences
            )
        return (
            self.cleaned_data["slug"],
            self.cleaned_data["kind"],
            frozenset(form.cleaned_data["number"] for form in _kept_forms(self.formsets["levels"])),
            areas,
        )

    def structure_problems(self) -> list[str]:
        problems = []
        submitted = self.submitted_structure()
        codes = [
            form.cleaned_data["code"]
            for area_form in _kept_forms(self.formsets["areas"])
            for form in _kept_forms(area_form.formsets["competences"])
        ]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            problems.append(
                _("Each competence code may appear once in a framework: %(codes)s")
                % {"codes": ", ".join(duplicates)}
            )
        removed = _deleted_instances(self.formsets["areas"]) + [
            competence
            for area_form in self.formsets["areas"].forms
            for competence in _deleted_instances(area_form.formsets["competences"])
        ]
        if blocked_deletion(removed):
            problems.append(
                _(
                    "A competence you removed is already used (by exercises or results) "
                    "and cannot be deleted. Rename it instead."
                )
            )
        if self.instance.pk:
            stored = CompetenceFramework.objects.get(pk=self.instance.pk)
            if stored.is_shipped and stored_structure(stored) != submitted:
                problems.append(
                    _(
                        "%(framework)s ships with the platform: its names can be corrected, "
                        "but its slug, kind, levels, areas and competence codes cannot change."
                    )
                    % {"framework": stored.name_en}
                )
        return problems
