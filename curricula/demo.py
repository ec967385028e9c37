"""Demo: the ministry analyst may correct framework names (Framework editors group).

The frameworks themselves come with the data migration 0002_load_frameworks.
"""

from django.contrib.auth.models import Group

from people.models import User

from .permissions import FRAMEWORK_EDITORS_GROUP


def load() -> list:
    group = Group.objects.filter(name=FRAMEWORK_EDITORS_GROUP).first()
    analyst = User.objects.filter(username="analyst").first()
    if group and analyst:
        analyst.groups.add(group)
    return []
