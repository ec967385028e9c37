from django.core.management.base import BaseCommand

from reports.rollups import mastery_rebuild


class Command(BaseCommand):
    help = "Rebuild every mastery roll-up and cohort figure from the evidence (set-based SQL)."

    def handle(self, *args, **options):
        result = mastery_rebuild()
        self.stdout.write(
            f"{result.rollups} roll-ups, {result.steps} monthly steps, "
            f"{result.cohort_activity} cohort months, {result.cube} cube cells "
            f"in {result.seconds:.2f} s"
        )
