"""List the issuer keys, or rotate: `manage.py credential_keys --rotate [--algorithm ES256]`."""

from django.core.management.base import BaseCommand

from credentials import services
from credentials.jose import ALGORITHMS
from credentials.models import IssuerKey


class Command(BaseCommand):
    help = (
        "List the credential issuer keys; --rotate makes a new signing key (old ones still verify)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rotate", action="store_true", help="Make a new signing key.")
        parser.add_argument("--algorithm", choices=ALGORITHMS, help="Of the new key.")

    def handle(self, *args, rotate=False, algorithm=None, **options):
        if rotate:
            key = services.key_rotate(algorithm=algorithm)
            self.stdout.write(self.style.SUCCESS(f"New signing key {key.kid} ({key.algorithm})."))
        for key in IssuerKey.objects.all():
            state = "signing" if key.signing else f"retired {key.retired_at:%Y-%m-%d %H:%M}"
            self.stdout.write(f"  {key.kid}  {key.algorithm:<6} {state}")
