"""``ketacare demo --patients N --seed S``: a realistic synthetic clinic, deterministic per seed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rich.progress import Progress

from ketacare.analytics import demo as analytics_demo
from ketacare.assessments import demo as assessments_demo
from ketacare.assessments.services import due_refresh
from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.billing import demo as billing_demo
from ketacare.controlled_substances import demo as controlled_substances_demo
from ketacare.core.models import Chair, Clinic, DemoMarker, Organisation, StaffMembership, User
from ketacare.demo import data
from ketacare.directory import demo as directory_demo
from ketacare.longterm import demo as longterm_demo
from ketacare.patients.intake import CONDITION_NAMES, IntakeData
from ketacare.patients.models import IntakeVersion, Patient
from ketacare.scheduling import demo as scheduling_demo
from ketacare.sessions import demo as sessions_demo
from ketacare.sessions import demo_history
from ketacare.treatment import demo as treatment_demo

DEMO_PASSWORD = "ketacare-demo"

# (username, full name, role, credential, clinic index or None for network-wide)
DEMO_STAFF = (
    ("frontdesk", "Fran Desk", "front_desk", "", 0),
    ("nurse", "Nina Reyes", "nurse", "RN", 0),
    ("prescriber", "Dr Paul Chen", "prescriber", "MD", 0),
    ("director", "Dr Maria Ortiz", "medical_director", "MD", 0),
    ("billing", "Bill Ng", "billing", "", 0),
    ("admin", "Ada Admin", "clinic_admin", "", 0),
    ("network", "Dr Nadia Park", "medical_director", "MD", None),
    ("nurse2", "Nick Osei", "nurse", "RN", 1),
    ("prescriber2", "Dr Priya Rao", "prescriber", "NP", 1),
)
BATCH = 1000
ALL_FIRST_NAMES = data.FIRST_NAMES_F + data.FIRST_NAMES_M


class Command(BaseCommand):
    help = "Load the demo clinic: staff for each role and N synthetic patients (seeded)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty", action="store_true", help="Only load into an empty database."
        )

    def handle(self, *args, patients: int, seed: int, if_empty: bool, **options):
        if patients < 1 or patients > 200_000:
            raise CommandError("--patients must be between 1 and 200000")
        if Organisation.objects.exists():
            if if_empty:
                self._print_logins()
                return
            raise CommandError(
                "The database already holds clinics; the demo loads only into an empty one."
            )
        rng = random.Random(seed)
        with transaction.atomic():
            organisation, clinics = _create_clinics()
            _create_staff(organisation, clinics)
        with Progress(
            disable=not self.stdout.isatty() and options.get("verbosity", 1) < 2
        ) as progress:
            task = progress.add_task("Creating patients", total=patients)
            created = 0
            while created < patients:
                size = min(BATCH, patients - created)
                with transaction.atomic():
                    _create_patients(rng, clinics, start=created, count=size)
                created += size
                progress.update(task, advance=size)
        with transaction.atomic():
            _link_demo_portal_account(clinics[0])
            DemoMarker.objects.create(seed=seed, patients=patients)
            audit_record(
                origin=RequestOrigin.system("ketacare demo"),
                action="create",
                object_type="demo",
                summary=f"Demo clinic loaded: {patients} patients, seed {seed}",
            )
            # Each app's demo data, in layer order (a later app builds on the earlier ones'),
            # except that scheduling comes after sessions: it reads the monitoring values the
            # sessions demo sets, and books the future, which sessions leave alone. The treatment
            # histories (in proportion to the patients) come after billing and the directory,
            # which price and list only the clinic's first courses; their last week is
            # documented in the chair, and the ledger then records every dose of those sessions.
            for loader in (
                assessments_demo.load,
                treatment_demo.load,
                sessions_demo.load,
                scheduling_demo.load,
                billing_demo.load,
                directory_demo.load,
                analytics_demo.load,
                demo_history.load,
                controlled_substances_demo.load,
                longterm_demo.load,
            ):
                loader(rng=random.Random(seed), clinics=clinics)
            # The loaders write in bulk: store every plan's due list once, at the end.
            due_refresh(at=timezone.now())
        self.stdout.write(
            self.style.SUCCESS(f"Demo clinic loaded with {patients} patients (seed {seed}).")
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, role, _, clinic_index in DEMO_STAFF:
            where = "all clinics" if clinic_index is None else f"clinic {clinic_index + 1}"
            self.stdout.write(f"  {username:<12} {role.replace('_', ' '):<17} {name} ({where})")
        self.stdout.write(f"  {'patient':<12} {'patient portal':<17} the first demo patient")


def _create_clinics() -> tuple[Organisation, list[Clinic]]:
    organisation = Organisation.objects.create(name="Bayview Ketamine Network", slug="bayview")
    specs = (
        (
            "Bayview Ketamine Clinic — Downtown",
            "bayview-downtown",
            "BD",
            "Oakland",
            "94612",
            "(510) 555-0140",
        ),
        (
            "Bayview Ketamine Clinic — Hills",
            "bayview-hills",
            "BH",
            "Berkeley",
            "94704",
            "(510) 555-0190",
        ),
    )
    clinics = []
    for name, slug, prefix, city, postcode, phone in specs:
        clinic = Clinic.objects.create(
            organisation=organisation,
            name=name,
            slug=slug,
            mrn_prefix=prefix,
            time_zone="America/Los_Angeles",
            address_line1="100 Harbor Blvd",
            city=city,
            state="CA",
            postal_code=postcode,
            phone=phone,
            email=f"{slug}@example.org",
        )
        Chair.objects.bulk_create(
            [Chair(clinic=clinic, name=f"Chair {n}") for n in range(1, 5)]
            + [Chair(clinic=clinic, name="Quiet room", kind=Chair.Kind.ROOM)]
        )
        clinics.append(clinic)
    return organisation, clinics


def _create_staff(organisation: Organisation, clinics: list[Clinic]) -> None:
    for username, full_name, role, credential, clinic_index in DEMO_STAFF:
        first, _, last = full_name.removeprefix("Dr ").partition(" ")
        user = User(
            username=username, first_name=first, last_name=last, email=f"{username}@example.org"
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        StaffMembership.objects.create(
            user=user,
            role=role,
            credential=credential,
            organisation=organisation,
            clinic=None if clinic_index is None else clinics[clinic_index],
        )


def _weighted(rng: random.Random, options: tuple) -> tuple:
    return rng.choices(options, weights=[o[-1] for o in options], k=1)[0]


def _answer(rng: random.Random, p_yes: float, p_unknown: float = 0.03) -> str:
    roll = rng.random()
    return "unknown" if roll < p_unknown else "yes" if roll < p_unknown + p_yes else "no"


def _intake(rng: random.Random, sex: str, age: int) -> dict[str, Any]:
    code, description, _ = _weighted(rng, data.DIAGNOSES)
    height = round(rng.gauss(176 if sex == "male" else 163, 7), 1)
    bmi = max(17.0, min(45.0, rng.gauss(27, 5)))
    weight = round(bmi * (height / 100) ** 2, 1)
    conditions = {name: _answer(rng, 0.02) for name in CONDITION_NAMES}
    conditions["hypertension"] = _answer(rng, 0.22)
    conditions["hypertension_controlled"] = (
        _answer(rng, 0.8, 0.05) if conditions["hypertension"] == "yes" else "no"
    )
    conditions["pregnant"] = _answer(rng, 0.02, 0.05) if sex == "female" and age < 50 else "no"
    conditions["breastfeeding"] = "no" if sex == "male" else conditions["breastfeeding"]
    conditions["psychosis_history"] = _answer(rng, 0.04)
    conditions["substance_use_active"] = _answer(rng, 0.05)
    conditions["substance_use_history"] = _answer(rng, 0.15)
    conditions["alcohol_use_disorder"] = _answer(rng, 0.06)
    conditions["ketamine_hypersensitivity"] = _answer(rng, 0.005, 0.01)
    trials = []
    if code.startswith(("F32", "F33", "F31")):
        for drug, doses in rng.sample(data.ANTIDEPRESSANTS, k=rng.randint(1, 4)):
            trials.append(
                {
                    "drug": drug,
                    "dose_mg": float(rng.choice(doses)),
                    "weeks": float(rng.choice((4, 6, 8, 10, 12, 16))),
                    "adequate": rng.choice(("yes", "yes", "yes", "no", "unknown")),
                    "outcome": rng.choice(
                        ("no_response", "no_response", "partial", "intolerance", "response")
                    ),
                    "current_episode": rng.choice(("yes", "yes", "no", "unknown")),
                }
            )
    medications = [
        {"name": t["drug"], "dose": f"{int(t['dose_mg'])} mg daily"} for t in trials[-1:]
    ]
    medications += [
        {"name": n, "dose": d}
        for n, d in rng.sample(data.OTHER_MEDICATIONS, k=rng.choice((0, 0, 1, 2)))
    ]
    allergies = [
        {"substance": s, "reaction": r}
        for s, r in rng.sample(data.ALLERGIES, k=rng.choice((0, 0, 0, 1, 2)))
    ]
    hypertensive = (
        conditions["hypertension"] == "yes" and conditions["hypertension_controlled"] == "no"
    )
    systolic = rng.randint(148, 172) if hypertensive else rng.randint(104, 136)
    diastolic = rng.randint(92, 104) if hypertensive else rng.randint(62, 86)
    intake = {
        "height_cm": height,
        "weight_kg": weight,
        "diagnoses": [{"code": code, "description": description}],
        "medications": medications,
        "no_known_allergies": not allergies,
        "allergies": allergies,
        "psychiatric": {
            "depressive_episodes": rng.randint(1, 6),
            "hospitalisations": rng.choice((0, 0, 0, 1, 2)),
            "suicide_attempts": rng.choice((0, 0, 0, 0, 1)),
            "notes": "",
        },
        "antidepressant_trials": trials,
        "psychotherapy": [
            {"kind": rng.choice(data.PSYCHOTHERAPIES), "current": rng.choice(("yes", "no"))}
        ],
        "conditions": conditions,
        "substance_use_details": "",
        "baseline_vitals": {
            "systolic_mmhg": systolic,
            "diastolic_mmhg": diastolic,
            "heart_rate_bpm": rng.randint(58, 96),
            "spo2_percent": rng.randint(95, 100),
        },
        "labs": [],
        "notes": "",
    }
    return IntakeData.model_validate(intake).model_dump(mode="json")


def _create_patients(rng: random.Random, clinics: list[Clinic], *, start: int, count: int) -> None:
    today = timezone.localdate()
    now = timezone.now()
    new_patients: list[Patient] = []
    intakes: list[dict[str, Any]] = []
    numbers = {clinic.pk: Clinic.objects.get(pk=clinic.pk).next_mrn for clinic in clinics}
    for index in range(start, start + count):
        clinic = clinics[0] if index % 5 else clinics[1]
        sex = rng.choice(("female", "female", "male"))
        first = rng.choice(data.FIRST_NAMES_F if sex == "female" else data.FIRST_NAMES_M)
        last = rng.choice(data.LAST_NAMES)
        age = rng.randint(19, 78)
        birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        city, state, zip_prefix = rng.choice(data.CITIES)
        payer = rng.choice(data.PAYERS)
        mrn_number = numbers[clinic.pk]
        numbers[clinic.pk] += 1
        new_patients.append(
            Patient(
                clinic=clinic,
                mrn=f"{clinic.mrn_prefix}{mrn_number:06d}",
                first_name=first,
                last_name=last,
                date_of_birth=birth,
                sex_at_birth=sex,
                email=f"{first}.{last}.{index}@example.com".lower(),
                phone=f"(510) 555-{rng.randint(0, 9999):04d}",
                address_line1=f"{rng.randint(1, 4999)} {rng.choice(data.STREETS)}",
                city=city,
                state=state,
                postal_code=f"{zip_prefix}{rng.randint(0, 99):02d}",
                emergency_contact_name=f"{rng.choice(ALL_FIRST_NAMES)} {last}",
                emergency_contact_phone=f"(510) 555-{rng.randint(0, 9999):04d}",
                emergency_contact_relationship=rng.choice(
                    ("spouse", "partner", "parent", "sibling", "friend")
                ),
                preferred_pharmacy=rng.choice(data.PHARMACIES),
                insurance_payer=payer,
                insurance_member_id=f"M{rng.randint(10**7, 10**8 - 1)}" if payer else "",
                search_last_name=last.lower(),
                search_first_name=first.lower(),
            )
        )
        intakes.append(_intake(rng, sex, age))
    Patient.objects.bulk_create(new_patients, batch_size=BATCH)
    for clinic in clinics:
        Clinic.objects.filter(pk=clinic.pk).update(next_mrn=numbers[clinic.pk])
    prescriber = User.objects.get(username="prescriber")
    versions = []
    for patient, intake in zip(new_patients, intakes, strict=True):
        signed = rng.random() < 0.85
        versions.append(
            IntakeVersion(
                patient=patient,
                number=1,
                source=IntakeVersion.Source.DEMO,
                data=intake,
                created_at=now,
                status="signed" if signed else "submitted",
                signed_at=now if signed else None,
                signed_by=prescriber if signed else None,
            )
        )
    IntakeVersion.objects.bulk_create(versions, batch_size=BATCH)


def _link_demo_portal_account(clinic: Clinic) -> None:
    patient = Patient.objects.filter(clinic=clinic).order_by("pk").first()
    user = User(
        username="patient",
        first_name=patient.first_name,
        last_name=patient.last_name,
        email=patient.email,
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
