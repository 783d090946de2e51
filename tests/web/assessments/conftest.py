"""Fixtures for measurement-based care: plans, responses, portal patients, alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.audit.services import RequestOrigin

PHQ9_ITEM9_POSITIVE = [1, 1, 1, 1, 1, 1, 1, 1, 2]  # total 10 (moderate), item 9 = 2
PHQ9_CALM = [0, 1, 0, 1, 0, 0, 0, 0, 0]  # total 2 (minimal)
CSSRS_HIGH = [1, 1, 1, 1, 0, 0, 0]  # Q4 yes -> high
CSSRS_MODERATE = [1, 1, 1, 0, 0, 0, 0]  # Q3 yes -> moderate
CSSRS_LOW = [1, 0, 0, 0, 0, 0, 0]  # Q1 only -> low


@pytest.fixture
def staff_origin(staff):
    def make(role: str = "nurse") -> RequestOrigin:
        user = staff[role]
        return RequestOrigin(actor=user, actor_label=user.username)

    return make


def start_plan(patient, *, prescriber, started_at=None, maintenance_started_at=None):
    """The patient's measurement plan, through the assessments service."""
    from ketacare.assessments.services import plan_start

    return plan_start(
        patient=patient,
        started_at=started_at or timezone.now() - dt.timedelta(days=1),
        maintenance_started_at=maintenance_started_at,
        prescriber=prescriber,
        origin=RequestOrigin.system("test"),
        at=timezone.now(),
    )


def submit_response(patient, code, answers, *, source=None, completed_at=None, origin=None):
    """A response stored through the service, its on-commit work (e-mails) run."""
    from django.test import TestCase

    from ketacare.assessments.services import response_submit
    from ketacare.clinical.instruments import INSTRUMENTS

    if source is None:
        source = (
            "clinician_rated" if INSTRUMENTS[code].completed_by == "clinician" else "staff_paper"
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return response_submit(
            patient=patient,
            instrument=code,
            answers=answers,
            source=source,
            completed_at=completed_at,
            origin=origin or RequestOrigin.system("test"),
            at=timezone.now(),
        )


@pytest.fixture
def make_plan(staff):
    def make(patient, *, started_at=None, prescriber="default", maintenance_started_at=None):
        return start_plan(
            patient,
            prescriber=staff["prescriber"] if prescriber == "default" else prescriber,
            started_at=started_at,
            maintenance_started_at=maintenance_started_at,
        )

    return make


@pytest.fixture
def submit(db):
    """``submit(patient, "phq9", answers)``: store through the service, e-mails sent."""
    return submit_response


@pytest.fixture
def portal_user(patient):
    """A portal account for ``patient`` (password as for staff)."""
    from ketacare.core.models import User

    user = User.objects.create_user(
        username="portal-jane", password="correct-horse-battery", email=patient.email
    )
    patient.portal_user = user
    patient.save(update_fields=["portal_user"])
    return user


@pytest.fixture
def portal_client(portal_user) -> Client:
    client = Client()
    client.force_login(portal_user)
    return client


@pytest.fixture
def broken_email(settings):
    settings.EMAIL_BACKEND = "tests.web.assessments.backends.BrokenEmailBackend"
