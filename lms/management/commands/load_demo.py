"""Load the demo country (idempotent) and print the credentials for every role."""

from importlib import import_module

from django.core.management.base import BaseCommand

# Each app that has demo content contributes a `demo.load()` returning credentials (or []).
DEMO_MODULES = ["lms.demo", "curricula.demo", "courses.demo", "grading.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Load the demo country: institutions, cohorts, courses, exercises, users for every role."

    def handle(self, *args, **options):
        credentials = []
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            credentials.extend(module.load() or [])
        self.stdout.write(self.style.SUCCESS("Demo country loaded. Log in with:"))
        width = max(len(c.role) for c in credentials)
        for c in credentials:
            self.stdout.write(f"  {c.role:<{width}}  {c.username:<12} {c.password}   ({c.note})")
