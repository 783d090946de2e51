"""Sign-ins, sign-outs and failed sign-ins go to the audit trail (never the password); a new
clinic gets its audit lanes."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from ketacare.audit.chain import create_lanes, scope_for
from ketacare.audit.services import RequestOrigin, audit_record


@receiver(post_save, sender="core.Clinic")
def _clinic_lanes(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        create_lanes(scope_for(instance.pk))


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(
        origin=RequestOrigin.from_request(request),
        action="login",
        object_type="user",
        object_id=user.pk,
        summary="Signed in",
    )


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        origin = RequestOrigin.from_request(request)
        if origin.actor is None:
            origin = RequestOrigin(
                actor=user,
                actor_label=user.get_username(),
                ip_address=origin.ip_address,
                user_agent=origin.user_agent,
            )
        audit_record(
            origin=origin,
            action="logout",
            object_type="user",
            object_id=user.pk,
            summary="Signed out",
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    origin = RequestOrigin.from_request(request) if request is not None else RequestOrigin.system()
    audit_record(
        origin=origin,
        action="login_failed",
        object_type="user",
        summary=f"Failed sign-in as {username!r}",
    )
