"""The Wagtail site: the home page and generic content pages."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BaseContentBlock
from .pagecache import ViewRestrictionsMixin
from .translation import TranslationFallbackMixin


class HomePage(ViewRestrictionsMixin, TranslationFallbackMixin, Page):
    """The site root: what the platform is, and the way in for every role."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BaseContentBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")


class StandardPage(ViewRestrictionsMixin, TranslationFallbackMixin, Page):
    """A plain content page: about, help, privacy notice."""

    introduction = models.TextField(_("introduction"), blank=True)
    body = StreamField(BaseContentBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")
