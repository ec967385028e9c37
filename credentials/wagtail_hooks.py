from wagtail import hooks

from people.sections import DASHBOARD_SECTIONS

from . import sections

# After my courses (100) and recent results (200), before the skill profile (300).
hooks.register(DASHBOARD_SECTIONS, sections.my_credentials, order=250)
