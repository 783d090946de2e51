"""``ketacare unlock_sign_in USERNAME``: let a person sign in again at once, from every device,
after failed attempts paused their sign-in (audited)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.audit.services import RequestOrigin
from ketacare.core.lockout import sign_in_unlock
from ketacare.core.models import User


class Command(BaseCommand):
    help = "Clear the failed sign-in counts of a user, so they can sign in again at once."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        cleared = sign_in_unlock(
            user=user,
            clinic_id=None,
            origin=RequestOrigin.system("ketacare unlock_sign_in"),
            at=timezone.now(),
        )
        self.stdout.write(f"{username} can sign in again ({cleared} counts cleared).")
