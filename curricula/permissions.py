"""Who may change competence frameworks in the Wagtail admin.

Django model permissions decide (add / change / delete competence framework), given to
the "Framework editors" group (see setup.py) or to a user directly. On top of them, the
frameworks the platform ships (DigComp, UNESCO) can never be deleted.
"""

from wagtail.permission_policies import ModelPermissionPolicy

from .models import CompetenceFramework

FRAMEWORK_EDITORS_GROUP = "Framework editors"


class CompetenceFrameworkPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.is_shipped:
            return False
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        if set(actions) == {"delete"}:
            instances = instances.exclude(kind__in=CompetenceFramework.SHIPPED_KINDS)
        return instances


competence_framework_policy = CompetenceFrameworkPermissionPolicy(CompetenceFramework)
