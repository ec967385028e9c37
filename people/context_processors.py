from django.conf import settings

from .access import roles_of


def platform(request):
    user = getattr(request, "user", None)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "user_roles": roles_of(user) if user is not None else None,
    }
