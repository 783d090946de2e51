"""Password sign-in and the signed-in user of each request, in one query.

Every request of a signed-in person asks three things about them before its view runs: who they
are (the session's user), whether they are a patient (the portal profile and its clinic, for
the idle timeout and the access context) and whether they hold a confirmed authenticator (the
two-factor gate). Django's ``ModelBackend`` answers only the first and leaves the others to
one query each; this backend loads all three with the user row.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.core.models import User

PATH = "ketacare.core.auth_backend.UserBackend"


def user_with_request_facts():
    """Users with their patient profile (and its clinic) and ``has_confirmed_device``."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User._default_manager.select_related(
        "patient_profile", "patient_profile__clinic"
    ).annotate(has_confirmed_device=Exists(confirmed))


class UserBackend(ModelBackend):
    """``ModelBackend`` (same passwords, same ``is_active`` rule) loading the request facts."""

    def get_user(self, user_id):
        try:
            user = user_with_request_facts().get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
