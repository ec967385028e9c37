"""Revoke a credential: `manage.py credential_revoke <id> --reason "..."`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from credentials import services
from credentials.models import Credential


class Command(BaseCommand):
    help = "Revoke an issued credential; its verification page and the status list say so."

    def add_arguments(self, parser):
        parser.add_argument("credential_id", help="The credential's id (a UUID).")
        parser.add_argument("--reason", required=True, help="Why (shown on the page).")

    def handle(self, *args, credential_id, reason, **options):
        try:
            credential = services.credential_revoke(credential_id=credential_id, reason=reason)
        except (Credential.DoesNotExist, ValidationError) as error:
            raise CommandError(f"No credential {credential_id}.") from error
        except services.RevocationRefused as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Revoked {credential.pk} on {credential.revoked_at:%Y-%m-%d}.")
        )
