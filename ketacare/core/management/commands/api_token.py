"""``ketacare api_token issue USERNAME NAME [--scopes read,write,admin,user/*.read,...]
[--expires-in-days N]``
prints a new bearer token once; ``ketacare api_token revoke USERNAME NAME`` revokes it;
``ketacare api_token list USERNAME`` shows each token's scopes, expiry and state."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.core import tokens
from ketacare.core.errors import Invalid
from ketacare.core.models import ApiToken, User


def _state(token: ApiToken, now) -> str:
    if token.revoked_at:
        return "revoked"
    return "expired" if token.expires_at <= now else "active"


class Command(BaseCommand):
    help = "Issue, list or revoke API bearer tokens for a user."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["issue", "list", "revoke"])
        parser.add_argument("username")
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument(
            "--scopes",
            default=",".join(tokens.DEFAULT_SCOPES),
            help="Comma-separated: read (GET), write (POST/PUT/PATCH/DELETE), admin (clinic "
            "administration and the audit trail); for the FHIR server patient/*.read (a "
            "patient's own record), user/*.read (what the user's roles may read), system/*.read "
            "(the same, and bulk export). Default: read.",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=tokens.DEFAULT_LIFETIME_DAYS,
            help=f"Lifetime, 1 to {tokens.MAX_LIFETIME_DAYS} days (default "
            f"{tokens.DEFAULT_LIFETIME_DAYS}).",
        )

    def handle(self, *args, action: str, username: str, name: str, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        origin = RequestOrigin.system("ketacare api_token")
        now = timezone.now()
        if action == "list":
            for token in user.api_tokens.order_by("created_at"):
                self.stdout.write(
                    f"{token.name}\t{_state(token, now)}\t{token.scopes}\t"
                    f"created {token.created_at:%Y-%m-%d}\texpires {token.expires_at:%Y-%m-%d}"
                )
            return
        if not name:
            raise CommandError("Give the token a name, e.g. 'reporting-script'.")
        active = user.api_tokens.filter(name=name, revoked_at__isnull=True, expires_at__gt=now)
        if action == "issue":
            if active.exists():
                raise CommandError(f"{username} already has an active token named {name!r}.")
            try:
                token, plaintext = ApiToken.issue(
                    user=user,
                    name=name,
                    scopes=tuple(options["scopes"].split(",")),
                    expires_in_days=options["expires_in_days"],
                    at=now,
                )
            except Invalid as error:
                raise CommandError(error.message) from None
            audit_record(
                origin=origin,
                action="create",
                object_type="api_token",
                object_id=token.pk,
                summary=f"API token {name!r} issued to {username} ({token.scopes}, expires "
                f"{token.expires_at:%Y-%m-%d})",
                at=now,
            )
            self.stdout.write(plaintext)
            self.stderr.write(
                f"Shown once: store it now. Use it as 'Authorization: Bearer <token>'. Scopes "
                f"{token.scopes}; expires {token.expires_at:%Y-%m-%d %H:%M} UTC."
            )
            return
        updated = active.update(revoked_at=now)
        if not updated:
            raise CommandError(f"{username} has no active token named {name!r}.")
        audit_record(
            origin=origin,
            action="update",
            object_type="api_token",
            summary=f"API token {name!r} of {username} revoked",
            at=now,
        )
        self.stdout.write(f"Revoked {name!r}.")
