import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Every list: `?page=N&page_size=M` (at most 500), with count/next/previous/results.

    A larger `page_size` is capped at 500; one that is not a whole number from 1 up is
    refused (400), as the schema says, rather than silently replaced (empty: not given).
    A page that does not exist is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":  # not given
            return self.page_size
        if not re.fullmatch(r"[0-9]+", raw) or not any(digit != "0" for digit in raw):
            raise ValidationError(
                {self.page_size_query_param: [_("Give a whole number from 1 up.")]}
            )
        # many digits: capped without reading them (int() refuses more than 4300)
        return self.max_page_size if len(raw) > 6 else min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
        return parameters
