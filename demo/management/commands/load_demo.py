"""Load the demo country (idempotent) and print the credentials for every role."""

import logging

from django.core.management.base import BaseCommand

from demo import country


class Command(BaseCommand):
    help = "Load the demo country: institutions, cohorts, courses, exercises, users for every role."

    def handle(self, *args, **options):
        # Wagtail logs every page created, copied and published at INFO: hundreds of lines
        # that would bury the credentials. `-v 2` shows them.
        wagtail_log = logging.getLogger("wagtail")
        level = wagtail_log.level
        if options["verbosity"] < 2:
            wagtail_log.setLevel(logging.WARNING)
        try:
            credentials = country.load()
        finally:
            wagtail_log.setLevel(level)
        self.stdout.write(self.style.SUCCESS("Demo country loaded. Log in with:"))
        width = max(len(c.role) for c in credentials)
        for c in credentials:
            self.stdout.write(f"  {c.role:<{width}}  {c.username:<12} {c.password}   ({c.note})")
