"""``ketacare setup``: create the organisation, its first clinic and the administrator.

Interactive by default (it asks for what the options do not give); non-interactive with
``--no-input --organisation NAME --clinic NAME --time-zone IANA_ZONE --admin-email EMAIL`` and
the password in ``KETACARE_ADMIN_PASSWORD``. A second run refuses unless ``--add-clinic`` asks
for another clinic of the same organisation.
"""

from __future__ import annotations

import getpass
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ketacare.core.errors import DomainError
from ketacare.core.models import User
from ketacare.core.setup import clinic_setup, mrn_prefix_for, username_for_email
from ketacare.core.time_zones import is_time_zone, unknown_time_zone_message

PASSWORD_VARIABLE = "KETACARE_ADMIN_PASSWORD"
REQUIRED = (
    ("organisation", "--organisation", "Organisation (the network of clinics)"),
    ("clinic", "--clinic", "Clinic name"),
    ("time_zone", "--time-zone", "Clinic time zone (IANA, e.g. America/New_York)"),
    ("admin_email", "--admin-email", "Administrator's e-mail (it is their sign-in name)"),
)


class Command(BaseCommand):
    help = (
        "Create the organisation, its first clinic and an administrator (clinic admin and "
        f"medical director). Non-interactive: --no-input with every option and {PASSWORD_VARIABLE}."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=f"Ask nothing: every option is required, the password comes from "
            f"{PASSWORD_VARIABLE}.",
        )
        parser.add_argument("--organisation", help="The organisation (network of clinics).")
        parser.add_argument("--clinic", help="The clinic's name.")
        parser.add_argument(
            "--time-zone", dest="time_zone", help="The clinic's IANA time zone (America/Chicago)."
        )
        parser.add_argument(
            "--admin-email", dest="admin_email", help="The administrator's e-mail (sign-in name)."
        )
        parser.add_argument(
            "--add-clinic",
            action="store_true",
            help="Add another clinic to the organisation set up before (its administrator may "
            "be an existing account).",
        )
        parser.add_argument("--mrn-prefix", default="", help="Letters starting the clinic's MRNs.")

    def handle(self, *args, interactive: bool, add_clinic: bool, mrn_prefix: str, **options):
        values = {key: (options.get(key) or "").strip() for key, _, _ in REQUIRED}
        if interactive:
            values = self._ask_missing(values)
        missing = [flag for key, flag, _ in REQUIRED if not values[key]]
        if missing:
            raise CommandError(f"--no-input needs {', '.join(missing)}.")
        if not is_time_zone(values["time_zone"]):
            raise CommandError(unknown_time_zone_message(values["time_zone"]) + " Nothing created.")
        existing = User.objects.filter(username=username_for_email(values["admin_email"]))
        password = None
        if not (add_clinic and existing.exists()):
            password = self._password(interactive)
        try:
            result = clinic_setup(
                organisation_name=values["organisation"],
                clinic_name=values["clinic"],
                time_zone=values["time_zone"],
                admin_email=values["admin_email"],
                password=password,
                add_clinic=add_clinic,
                mrn_prefix=mrn_prefix,
                at=timezone.now(),
            )
        except DomainError as refused:
            raise CommandError(f"{refused.message} Nothing created.") from None
        clinic = result.clinic
        login = settings.PUBLIC_BASE_URL.rstrip("/") + "/accounts/login/"
        self.stdout.write(
            f"Set up {clinic.name} ({result.organisation.name}), time zone {clinic.time_zone}, "
            f"MRN prefix {clinic.mrn_prefix}.\n"
            f"{result.admin.email} is its clinic admin and medical director"
            + (" (new account)" if result.admin_created else "")
            + f". Sign in at {login} with that e-mail address.\n"
            "Next: invite your staff from Clinic → Staff, then set the clinic's protocol values."
        )

    def _ask_missing(self, values: dict[str, str]) -> dict[str, str]:
        for key, _, prompt in REQUIRED:
            while not values[key]:
                default = ""
                if key == "time_zone":
                    default = settings.TIME_ZONE
                answer = input(f"{prompt}{f' [{default}]' if default else ''}: ").strip()
                answer = answer or default
                if key == "time_zone" and answer and not is_time_zone(answer):
                    self.stderr.write(unknown_time_zone_message(answer))
                    continue
                values[key] = answer
        if values["clinic"]:
            self.stdout.write(f"MRNs will start with {mrn_prefix_for(values['clinic'])}.")
        return values

    def _password(self, interactive: bool) -> str:
        from_environment = os.environ.get(PASSWORD_VARIABLE, "")
        if from_environment or not interactive:
            if not from_environment:
                raise CommandError(
                    f"Set {PASSWORD_VARIABLE} to the administrator's password (at least 10 "
                    "characters, not a common one). Nothing created."
                )
            return from_environment
        while True:
            first = getpass.getpass("Administrator's password: ")
            if first and first == getpass.getpass("The same password again: "):
                return first
            self.stderr.write("The two passwords differ or are empty; try again.")
