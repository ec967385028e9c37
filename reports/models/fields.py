"""A list column for the derived tables: an array on PostgreSQL (built and unnested by the
set-based SQL), JSON text elsewhere (SQLite, the demo)."""

from __future__ import annotations

import json
from datetime import date

from django.db import models

ELEMENT_TYPES = {"date": "date", "smallint": "smallint"}


class ListField(models.Field):
    """A list of dates (`of="date"`) or of small integers (`of="smallint"`), in order."""

    description = "A list of dates or small integers"

    def __init__(self, *args, of: str, **kwargs):
        if of not in ELEMENT_TYPES:
            raise ValueError(f"ListField(of=...) takes one of {sorted(ELEMENT_TYPES)}")
        self.of = of
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        if kwargs.get("default") is list:
            del kwargs["default"]
        return name, path, args, kwargs

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return f"{ELEMENT_TYPES[self.of]}[]"
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        value = list(value)
        if connection.vendor == "postgresql":
            return value
        if self.of == "date":
            return json.dumps([item.isoformat() for item in value])
        return json.dumps([int(item) for item in value])

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value
        items = json.loads(value)
        if self.of == "date":
            return [date.fromisoformat(item) for item in items]
        return items

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        return self.from_db_value(value, None, None)
