"""django-filter for the API, with filters that refuse what they cannot read.

django-filter reads `?is_active=maybe` as "no filter" and answers the whole list; the
schema says the parameter is a boolean, so anything but true/false (or empty: not given)
is a 400 here, like an unknown choice or id already is.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

READINGS = {"true": True, "false": False}


class StrictBooleanWidget(BooleanWidget):
    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            return READINGS.get(value.lower(), value)
        return value


class StrictBooleanField(forms.NullBooleanField):
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        pass  # empty is "not given"


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", StrictBooleanWidget)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class FilterBackend(filters.DjangoFilterBackend):
    """The API's filter backend (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"])."""

    filterset_base = FilterSet
