"""``ketacare api_token issue USERNAME NAME`` prints a new bearer token once;
``ketacare api_token revoke USERNAME NAME`` revokes it; ``ketacare api_token list USERNAME``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue, list or revoke API bearer tokens for a user."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["issue", "list", "revoke"])
        parser.add_argument("username")
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args, action: str, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        origin = RequestOrigin.system("ketacare api_token")
        if action == "list":
            for token in user.api_tokens.order_by("created_at"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.name}\t{state}\tcreated {token.created_at:%Y-%m-%d}")
            return
        if not name:
            raise CommandError("Give the token a name, e.g. 'reporting-script'.")
        if action == "issue":
            if user.api_tokens.filter(name=name, revoked_at__isnull=True).exists():
                raise CommandError(f"{username} already has an active token named {name!r}.")
            token, plaintext = ApiToken.issue(user=user, name=name)
            audit_record(
                origin=origin,
                action="create",
                object_type="api_token",
                object_id=token.pk,
                summary=f"API token {name!r} issued to {username}",
            )
            self.stdout.write(plaintext)
            self.stderr.write(
                "Shown once: store it now. Use it as 'Authorization: Bearer <token>'."
            )
            return
        updated = user.api_tokens.filter(name=name, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise CommandError(f"{username} has no active token named {name!r}.")
        audit_record(
            origin=origin,
            action="update",
            object_type="api_token",
            summary=f"API token {name!r} of {username} revoked",
        )
        self.stdout.write(f"Revoked {name!r}.")
