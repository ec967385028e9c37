"""Competence frameworks (data) and curriculum pages (the Wagtail tree).

A framework holds its proficiency levels and its areas; an area holds its competences.
The three frameworks every install ships with are loaded by the data migration
`0002_load_frameworks` from `framework_data.py`; ministry staff add national frameworks
and correct names in the Wagtail admin (see wagtail_hooks.py).

Page tree: HomePage -> CurriculumIndexPage -> CurriculumPage -> CoursePage (courses app)
-> LessonPage.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.pagecache import ViewRestrictionsMixin
from cms.translation import TranslationFallbackMixin, children_in_language
from people.models import Track, TranslatedNameMixin


def _in_active_language(obj, prefix: str) -> str:
    lang = (get_language() or "en")[:2]
    return getattr(obj, f"{prefix}_{lang}", "") or getattr(obj, f"{prefix}_en")


# ---------------------------------------------------------------------------------------
# Competence frameworks
# ---------------------------------------------------------------------------------------
class CompetenceFramework(TranslatedNameMixin, ClusterableModel):
    """A competence framework: DigComp 2.2, a UNESCO AI framework, or a national one."""

    class Kind(models.TextChoices):
        DIGCOMP = "digcomp", _("DigComp")
        UNESCO_STUDENTS = "unesco-students", _("UNESCO AI competency framework for students")
        UNESCO_TEACHERS = "unesco-teachers", _("UNESCO AI competency framework for teachers")
        NATIONAL = "national", _("National framework")

    # The frameworks the platform ships: their structure is fixed, only names may change.
    SHIPPED_KINDS = (Kind.DIGCOMP, Kind.UNESCO_STUDENTS, Kind.UNESCO_TEACHERS)

    slug = models.SlugField(
        _("slug"), max_length=60, help_text=_("Stable identifier used by the API.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NATIONAL)
    source = models.CharField(
        _("source"),
        max_length=250,
        blank=True,
        help_text=_("Who publishes the framework, its title and year."),
    )
    levels_description_en = models.TextField(_("levels (English)"), blank=True)
    levels_description_az = models.TextField(_("levels (Azerbaijani)"), blank=True)
    levels_description_ru = models.TextField(_("levels (Russian)"), blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("name_en"), FieldPanel("name_az"), FieldPanel("name_ru")],
            heading=_("Name"),
        ),
        FieldPanel("slug"),
        FieldPanel("kind"),
        FieldPanel("source"),
        MultiFieldPanel(
            [
                FieldPanel("levels_description_en"),
                FieldPanel("levels_description_az"),
                FieldPanel("levels_description_ru"),
            ],
            heading=_("How the levels work"),
        ),
        InlinePanel("levels", heading=_("Proficiency levels"), label=_("Level")),
        InlinePanel("areas", heading=_("Areas"), label=_("Area")),
    ]

    class Meta:
        ordering = ["pk"]
        verbose_name = _("competence framework")
        verbose_name_plural = _("competence frameworks")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="competenceframework_unique_slug"),
            # one DigComp, one UNESCO for students, one for teachers; any number of national
            models.UniqueConstraint(
                fields=["kind"],
                condition=~Q(kind="national"),
                name="competenceframework_one_per_shipped_kind",
                violation_error_message=_("The platform already has a framework of this kind."),
            ),
        ]

    @property
    def is_shipped(self) -> bool:
        return self.kind in self.SHIPPED_KINDS

    @property
    def levels_description(self) -> str:
        return _in_active_language(self, "levels_description")


class ProficiencyLevelManager(models.Manager):
    """Joins the framework: every label of a level (admin choices) names its framework."""

    def get_queryset(self):
        return super().get_queryset().select_related("framework")


class ProficiencyLevel(models.Model):
    """A level of a framework: DigComp 1-8 (in bands), UNESCO's three progression levels."""

    framework = ParentalKey(
        CompetenceFramework,
        verbose_name=_("framework"),
        on_delete=models.CASCADE,
        related_name="levels",
    )
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1 is the lowest level."))
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_az = models.CharField(_("name (Azerbaijani)"), max_length=100, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100, blank=True)
    # DigComp groups its eight levels in four bands; UNESCO's levels have none.
    band_en = models.CharField(_("band (English)"), max_length=100, blank=True)
    band_az = models.CharField(_("band (Azerbaijani)"), max_length=100, blank=True)
    band_ru = models.CharField(_("band (Russian)"), max_length=100, blank=True)

    objects = ProficiencyLevelManager()
    panels = [
        FieldPanel("number"),
        FieldPanel("name_en"),
        FieldPanel("name_az"),
        FieldPanel("name_ru"),
        FieldPanel("band_en"),
        FieldPanel("band_az"),
        FieldPanel("band_ru"),
    ]

    class Meta:
        ordering = ["framework_id", "number"]
        verbose_name = _("proficiency level")
        verbose_name_plural = _("proficiency levels")
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "number"], name="proficiencylevel_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="proficiencylevel_number_gte_1"
            ),
        ]

    def __str__(self) -> str:
        band = f" ({self.band})" if self.band else ""
        return f"{self.framework.slug} · {self.name}{band}"

    @property
    def name(self) -> str:
        return _in_active_language(self, "name")

    @property
    def band(self) -> str:
        return _in_active_language(self, "band") if self.band_en else ""


class CompetenceArea(TranslatedNameMixin, ClusterableModel):
    """An area (DigComp) or a dimension (UNESCO) of a framework."""

    framework = ParentalKey(
        CompetenceFramework,
        verbose_name=_("framework"),
        on_delete=models.CASCADE,
        related_name="areas",
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("For example: 1, 2, 3"))
    order = models.PositiveSmallIntegerField(_("order"), default=0, editable=False)

    sort_order_field = "order"  # InlinePanel keeps the editor's order here
    panels = [
        FieldPanel("code"),
        FieldPanel("name_en"),
        FieldPanel("name_az"),
        FieldPanel("name_ru"),
        InlinePanel("competences", heading=_("Competences"), label=_("Competence")),
    ]

    class Meta:
        ordering = ["framework_id", "order", "code"]
        verbose_name = _("competence area")
        verbose_name_plural = _("competence areas")
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competencearea_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CompetenceManager(models.Manager):
    """Joins the framework: every label of a competence (admin choices) names its framework."""

    def get_queryset(self):
        return super().get_queryset().select_related("area__framework")


class Competence(TranslatedNameMixin):
    """One competence of a framework, e.g. DigComp 3.4 Programming."""

    area = ParentalKey(
        CompetenceArea,
        verbose_name=_("area"),
        on_delete=models.CASCADE,
        related_name="competences",
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("For example: 1.1, 3.4"))
    level = models.PositiveSmallIntegerField(
        _("level"),
        null=True,
        blank=True,
        help_text=_(
            "The level this competence belongs to, where the framework ties competences "
            "to levels (UNESCO). Leave empty when it spans every level (DigComp)."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0, editable=False)

    sort_order_field = "order"
    objects = CompetenceManager()
    panels = [
        FieldPanel("code"),
        FieldPanel("name_en"),
        FieldPanel("name_az"),
        FieldPanel("name_ru"),
        FieldPanel("level"),
    ]

    class Meta:
        ordering = ["area__framework_id", "area__order", "order", "code"]
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="competence_unique_code"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1), name="competence_level_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area.framework.slug} · {self.code} {self.name}"


# ---------------------------------------------------------------------------------------
# Curriculum pages
# ---------------------------------------------------------------------------------------
class CurriculumIndexPage(ViewRestrictionsMixin, TranslationFallbackMixin, Page):
    """Lists the curricula of the platform, grouped by track."""

    introduction = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["curricula.CurriculumPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("curricula index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # the original index's curricula, each in the reader's language where translated
        curricula = sorted(children_in_language(self), key=lambda c: c.title)
        context["has_curricula"] = bool(curricula)
        context["curricula_by_track"] = [
            (label, [c for c in curricula if c.track == value]) for value, label in Track.choices
        ]
        return context


class CurriculumPage(ViewRestrictionsMixin, TranslationFallbackMixin, Page):
    """A curriculum for one track (and grade band at school): the courses that teach it and
    the competences, at a level, it aims at."""

    track = models.CharField(_("track"), max_length=12, choices=Track.choices)
    grade_band = models.CharField(
        _("grade band"),
        max_length=10,
        blank=True,
        help_text=_("School curricula only: the grades, for example 5-9 or 10-11."),
    )
    summary = models.TextField(_("summary"), blank=True)
    body = RichTextField(_("description"), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("track"), FieldPanel("grade_band")], heading=_("Audience")),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel(
            "competence_targets",
            heading=_("Target competences"),
            label=_("Target competence"),
            help_text=_("The competences this curriculum develops and the level it aims at."),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("track"),
    ]
    parent_page_types = ["curricula.CurriculumIndexPage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("curriculum")
        verbose_name_plural = _("curricula")
        constraints = [
            # a grade band such as 5-9 for school curricula, and only for them
            models.CheckConstraint(
                condition=(Q(track="school") & Q(grade_band__regex=r"^[0-9]{1,2}-[0-9]{1,2}$"))
                | (~Q(track="school") & Q(grade_band="")),
                name="curriculumpage_grade_band_for_school",
                violation_error_message=_(
                    "A school curriculum needs a grade band such as 5-9; other tracks have none."
                ),
            ),
        ]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # the original curriculum's courses (its children: the courses app's pages, whose
        # class this app need not know), each in the reader's language where translated
        context["courses"] = children_in_language(self)
        context["targets"] = self.competence_targets.select_related(
            "competence__area__framework", "level"
        )
        return context


class CurriculumCompetenceTarget(Orderable):
    """A competence a curriculum develops, and the level its students should reach."""

    page = ParentalKey(
        CurriculumPage,
        verbose_name=_("curriculum"),
        on_delete=models.CASCADE,
        related_name="competence_targets",
    )
    # Removing a competence from a framework removes it from the curricula aiming at it.
    competence = models.ForeignKey(
        Competence, verbose_name=_("competence"), on_delete=models.CASCADE, related_name="+"
    )
    level = models.ForeignKey(
        ProficiencyLevel,
        verbose_name=_("target level"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    panels = [FieldPanel("competence"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        verbose_name = _("target competence")
        verbose_name_plural = _("target competences")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "competence"], name="curriculumtarget_unique_competence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competence} → {self.level}"

    def clean(self) -> None:
        super().clean()
        if (
            self.competence_id
            and self.level_id
            and self.level.framework_id != self.competence.area.framework_id
        ):
            raise ValidationError({"level": _("Choose a level of the competence's own framework.")})
