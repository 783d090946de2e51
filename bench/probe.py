"""The bench's Django side, run by bench/run.py in its own process against the bench database.

``probe.py prepare`` issues API tokens and picks the patient and search the load uses;
``probe.py queries TARGETS.json`` sends each target through Django's test client (once to warm,
once measured) and reports every statement the measured request ran, timed, with repeated
statement shapes flagged, so an N+1 shows up beside the timings.
Both print one JSON document on stdout. The load itself never runs in this process.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.config.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

MODEL_BACKEND = "ketacare.core.auth_backend.UserBackend"
STATEMENTS_KEPT = 60
SQL_CHARS_KEPT = 4000


POOL_PATIENTS = 200  # PHQ-9s go round this many patients on a plan
POOL_SESSIONS = 12  # vitals go round this many sessions in the chair
POOL_COURSES = 300  # one series booked for each
PHQ9_ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # total 8, item 9 "not at all": no safety alert
VITALS = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 74,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
}


def prepare(wanted: list[str]) -> dict:
    """Tokens, the patient and session the reads open, and the write targets' requests."""
    from django.utils import timezone

    from ketacare.core.access import access_for
    from ketacare.core.models import ApiToken, User
    from ketacare.demo.management.commands.demo import DEMO_PASSWORD
    from ketacare.patients.models import Patient

    now = timezone.now()
    tokens = {}
    for username in ("nurse", "prescriber"):
        user = User.objects.get(username=username)
        _, plaintext = ApiToken.issue(user=user, name="bench", scopes=("read", "write"), at=now)
        tokens[username] = plaintext
    clinic = access_for(User.objects.get(username="nurse")).clinic
    in_clinic = Patient.objects.filter(clinic=clinic).order_by("pk")
    # A patient from the middle of the registry, with an intake, like most charts opened.
    with_intake = in_clinic.filter(intake_versions__isnull=False).distinct()
    patient = with_intake[with_intake.count() // 2]
    writes = {}
    if "api_phq9" in wanted:
        writes["api_phq9"] = _phq9_requests(clinic)
    if "api_vitals" in wanted:
        writes["api_vitals"] = _vitals_requests(clinic, now)
    if "api_book_series" in wanted:
        writes["api_book_series"] = _booking_requests(clinic, now)
    return {
        "password": DEMO_PASSWORD,
        "tokens": tokens,
        "clinic": {"id": clinic.pk, "name": clinic.name, "patients": in_clinic.count()},
        "patient_id": patient.pk,
        "search": patient.last_name,
        "search_matches": in_clinic.filter(
            search_last_name__startswith=patient.last_name.lower()
        ).count(),
        "session_id": _flowsheet_session(clinic),
        "writes": writes,
        "write_pools": {name: len({tuple(row) for row in rows}) for name, rows in writes.items()},
        "database": connection.vendor,
    }


def _cycled(rows: list, length: int) -> list:
    return [rows[i % len(rows)] for i in range(max(length, len(rows)))] if rows else []


def _flowsheet_session(clinic) -> int | None:
    """The most recent signed session with the most readings among the last few: a full
    flowsheet, as opened after the fact."""
    from django.db.models import Count

    from ketacare.sessions.models import TreatmentSession

    recent = (
        TreatmentSession.objects.filter(clinic=clinic, state__in=("signed", "cosigned"))
        .annotate(readings=Count("vitals"))
        .order_by("-signed_at")[:20]
    )
    best = max(recent, key=lambda s: (s.readings, s.signed_at), default=None)
    return best.pk if best else None


def _phq9_requests(clinic) -> list[list[str]]:
    """A PHQ-9 on paper for each of a pool of patients on a measurement plan."""
    from ketacare.assessments.models import AssessmentPlan

    patient_ids = list(
        AssessmentPlan.objects.filter(patient__clinic=clinic, ended_at__isnull=True)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)[:POOL_PATIENTS]
    )
    body = json.dumps({"instrument": "phq9", "answers": PHQ9_ANSWERS})
    rows = [[f"/api/v1/assessments/patients/{pk}/responses", body] for pk in patient_ids]
    return _cycled(rows, POOL_PATIENTS)


def _vitals_requests(clinic, now) -> list[list[str]]:
    """Vitals for a pool of IV sessions put in the chair now, dosing: the clinic's next booked
    infusions opened, checked in and pre-checked as the demo does, their dose drawn up from
    the controlled-substance ledger (which starts the pump)."""
    import random

    from ketacare.audit.services import RequestOrigin
    from ketacare.clinical.common import ClinicalRuleError
    from ketacare.controlled_substances.selectors import balances
    from ketacare.controlled_substances.services import Amount, dose_draw_up
    from ketacare.core.errors import DomainError
    from ketacare.sessions.demo import _vitals, prechecked
    from ketacare.sessions.models import TreatmentSession
    from ketacare.treatment.models import Appointment

    rng = random.Random(7)
    live = list(
        TreatmentSession.objects.filter(clinic=clinic, state="dosing").values_list("pk", flat=True)
    )
    upcoming = Appointment.objects.filter(
        clinic=clinic,
        kind=Appointment.Kind.TREATMENT,
        status=Appointment.Status.BOOKED,
        starts_at__gt=now,
        course__route="racemic_iv",
    ).select_related("course", "patient", "clinic", "nurse")
    seen: set[int] = set()
    for appointment in upcoming.order_by("starts_at")[:200]:
        if len(live) >= POOL_SESSIONS:
            break
        if appointment.patient_id in seen:
            continue
        seen.add(appointment.patient_id)
        nurse = appointment.nurse
        origin = RequestOrigin(actor=nurse, actor_label=nurse.get_username()) if nurse else None
        origin = origin or RequestOrigin.system("bench")
        try:
            session = prechecked(appointment, _vitals(rng), origin, now)
            if session is None or session.order is None:
                continue
            dose_mg = session.order.dose_mg
            stock = next(
                b
                for b in balances(clinic)
                if b.product.form == "vial"
                and b.product.mg_per_unit == session.order.concentration_mg_per_ml
                and b.mg >= dose_mg
            )
            dose_draw_up(
                session=session,
                lot=stock.lot,
                location=stock.location,
                amount=Amount(mg=dose_mg),
                origin=origin,
                at=now,
            )
        except (DomainError, ClinicalRuleError, StopIteration):
            continue  # not treatable now (a rule refused it, or no stock): the next one
        live.append(session.pk)
    body = json.dumps(VITALS)
    return _cycled([[f"/api/v1/sessions/{pk}/vitals", body] for pk in live], 64)


def _booking_requests(clinic, now) -> list[list[str]]:
    """An induction series for each of a pool of IV courses, found one after the other (each
    sees the ones before it), booked and then cancelled again: the load books them for real."""
    import datetime as dt

    from ketacare.audit.services import RequestOrigin
    from ketacare.clinical.common import ClinicalRuleError
    from ketacare.core.errors import DomainError
    from ketacare.scheduling import services
    from ketacare.scheduling.finding import Preferences, slots_find
    from ketacare.scheduling.models import Occupancy
    from ketacare.treatment.models import Appointment, TreatmentCourse

    origin = RequestOrigin.system("bench")
    courses = (
        TreatmentCourse.objects.filter(clinic=clinic, route="racemic_iv")
        .exclude(phase="completed")
        .select_related("clinic", "patient", "patient__clinic")
        .order_by("pk")
    )
    rows, booked, taken = [], [], set()
    not_before = now + dt.timedelta(days=60)  # after what the demo books
    for course in courses.iterator():
        if len(rows) >= POOL_COURSES:
            break
        if course.patient_id in taken:
            continue
        taken.add(course.patient_id)
        try:
            found = slots_find(
                course=course,
                phase="induction",
                not_before=not_before,
                at=now,
                preferences=Preferences(),
                limit=1,
            )
            if not found.proposals:
                continue
            slots = found.proposals[0]
            made = services.series_book(
                course=course,
                phase="induction",
                slots=[services.SlotChoice(s.start, s.chair_id, s.nurse_id) for s in slots],
                origin=origin,
                at=now,
            )
        except (ClinicalRuleError, DomainError):
            continue
        booked += [a.pk for a in made]
        not_before = max(not_before, slots[0].start)
        body = {
            "course_id": course.pk,
            "phase": "induction",
            "slots": [
                {"start": s.start.isoformat(), "chair_id": s.chair_id, "nurse_id": s.nurse_id}
                for s in slots
            ],
        }
        rows.append(["/api/v1/scheduling/bookings", json.dumps(body)])
    # Free the slots again (as a cancellation does) so the load can book them.
    Appointment.objects.filter(pk__in=booked).update(status=Appointment.Status.CANCELLED)
    Occupancy.objects.filter(appointment_id__in=booked).delete()
    return rows


_LITERALS = (
    (re.compile(r"'(?:[^']|'')*'"), "?"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "?"),
    (re.compile(r"\((?:\s*\?\s*,)+\s*\?\s*\)"), "(?…)"),
    (re.compile(r"\s+"), " "),
)


def _shape(sql: str) -> str:
    """The statement with its literals taken out: the same shape repeated is an N+1."""
    for pattern, replacement in _LITERALS:
        sql = pattern.sub(replacement, sql)
    return sql.strip()


class _Recorder:
    """Times every statement the request runs (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.statements: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            cursor = context["cursor"]
            try:
                text = connection.ops.last_executed_query(cursor, sql, params)
            except Exception:  # the SQL is what matters; parameters are a nicety
                text = sql
            self.statements.append({"sql": text, "ms": round(elapsed, 3)})


def _client_for(target: dict, clients: dict[str, Client]) -> tuple[Client, dict[str, str]]:
    """A test client signed in as the target's page user (one per user), or with its token."""
    from ketacare.core.models import User

    auth = target["auth"]
    headers = {"HTTP_HOST": "127.0.0.1"}
    if auth["kind"] == "session":
        client = clients.get(auth["user"])
        if client is None:
            client = clients[auth["user"]] = Client()
            client.force_login(User.objects.get(username=auth["user"]), MODEL_BACKEND)
    else:
        client = Client()
        if auth["kind"] == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {auth['token']}"
    return client, headers


def _send(client: Client, target: dict, headers: dict[str, str], number: int):
    """A read target's GET, or the ``number``-th of a write target's requests."""
    if target.get("requests"):
        path, body = target["requests"][number]
        return client.post(path, data=body, content_type="application/json", **headers)
    return client.get(target["path"], **headers)


def queries(targets: list[dict]) -> dict:
    clients: dict[str, Client] = {}
    report = {}
    for target in targets:
        if target.get("unavailable"):
            continue
        client, headers = _client_for(target, clients)
        _send(client, target, headers, 0)  # warm: first-request work is not steady state
        recorder = _Recorder()
        started = time.perf_counter()
        with connection.execute_wrapper(recorder):
            response = _send(client, target, headers, 1)
        elapsed_ms = (time.perf_counter() - started) * 1000
        statements = recorder.statements
        reads = [s for s in statements if s["sql"].lstrip().upper().startswith("SELECT")]
        shapes = Counter(_shape(s["sql"]) for s in reads)
        slowest = max(statements, key=lambda s: s["ms"], default=None)
        report[target["name"]] = {
            "status": response.status_code,
            "queries": len(statements),
            "writes": sum(
                1
                for s in statements
                if s["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            ),
            "transactions": sum(1 for s in statements if s["sql"].upper().startswith("BEGIN")),
            "sql_ms": round(sum(s["ms"] for s in statements), 2),
            "request_ms": round(elapsed_ms, 2),
            "repeated_shapes": {shape: n for shape, n in shapes.items() if n > 1},
            "slowest": slowest and {"sql": slowest["sql"][:SQL_CHARS_KEPT], "ms": slowest["ms"]},
            # An N+1 can run thousands: keep the first ones, the shapes above say the rest.
            "statements": [
                {"sql": s["sql"][:SQL_CHARS_KEPT], "ms": s["ms"]}
                for s in statements[:STATEMENTS_KEPT]
            ],
            "statements_omitted": max(0, len(statements) - STATEMENTS_KEPT),
        }
    return report


def profile(targets: list[dict], lines: int = 40) -> str:
    """cProfile of each target's measured request (after a warm one): where its CPU time goes
    (the process's own, so other work on the machine does not blur it)."""
    import cProfile
    import io
    import pstats

    out = io.StringIO()
    for target in targets:
        if target.get("unavailable"):
            continue
        client, headers = _client_for(target, {})
        _send(client, target, headers, 0)
        profiler = cProfile.Profile(time.process_time)  # CPU time: the machine is shared
        profiler.enable()
        response = _send(client, target, headers, 1)
        profiler.disable()
        out.write(f"\n=== {target['name']} {target['path']} (HTTP {response.status_code})\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(lines)
        stats.sort_stats("tottime").print_stats(lines // 2)
    return out.getvalue()


def main() -> None:
    command = sys.argv[1]
    if command == "prepare":
        result = prepare(sys.argv[2:])
    elif command == "queries":
        with open(sys.argv[2]) as handle:
            result = queries(json.load(handle))
    elif command == "profile":
        with open(sys.argv[2]) as handle:
            sys.stdout.write(profile(json.load(handle)))
        return
    else:
        raise SystemExit(f"unknown command {command!r}")
    sys.stdout.write(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
