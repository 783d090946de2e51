from __future__ import annotations

import datetime as dt

import pytest

from ketacare.audit.models import AuditEntry
from ketacare.core.models import Chair

pytestmark = pytest.mark.django_db


def _settings(clinic, **changes):
    data = {
        "name": clinic.name,
        "time_zone": clinic.time_zone,
        "address_line1": "",
        "address_line2": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "phone": clinic.phone,
        "email": "",
    }
    return data | changes


def test_admin_sets_time_zone_and_two_factor_and_it_is_audited(client_for, clinic):
    response = client_for("clinic_admin").post(
        "/clinic/settings/", _settings(clinic, time_zone="America/Chicago", require_two_factor="on")
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.time_zone == "America/Chicago" and clinic.require_two_factor
    entry = AuditEntry.objects.get(object_type="clinic")
    assert entry.changes["time_zone"] == {"before": "America/New_York", "after": "America/Chicago"}


def test_unknown_time_zone_is_refused_and_nothing_changes(client_for, clinic):
    response = client_for("clinic_admin").post(
        "/clinic/settings/", _settings(clinic, time_zone="Mars/Olympus")
    )
    assert response.status_code == 422
    assert b"not a known IANA time zone: choose one from the list" in response.content
    clinic.refresh_from_db()
    assert clinic.time_zone == "America/New_York"


def test_time_zone_is_chosen_from_a_list_and_used_on_every_page(client_for, clinic, patient):
    admin = client_for("clinic_admin")
    page = admin.get("/clinic/settings/").content.decode()
    assert '<select name="time_zone"' in page
    assert '<option value="Asia/Tokyo">Asia / Tokyo</option>' in page
    assert '<option value="America/New_York" selected>' in page
    clinic.time_zone = "Asia/Tokyo"
    clinic.save()
    header = admin.get("/").content.decode()
    assert "Times are in Asia/Tokyo" in header and "JST" in header
    # The audit log shows an entry made at 03:00 UTC at noon in Tokyo.
    from ketacare.audit.services import RequestOrigin, audit_record

    audit_record(
        origin=RequestOrigin.system("test"),
        action="update",
        object_type="clinic",
        clinic_id=clinic.pk,
        summary="zone check",
        at=dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC),
    )
    log = client_for("medical_director").get("/audit/").content.decode()
    assert "2026-03-02 12:00:00" in log


def test_chairs_are_added_closed_and_reopened(client_for, clinic):
    admin = client_for("clinic_admin")
    admin.post("/clinic/chairs/", {"name": "Quiet room", "kind": "room"})
    room = Chair.objects.get(clinic=clinic, name="Quiet room")
    assert room.kind == "room" and room.active
    admin.post(f"/clinic/chairs/{room.pk}/toggle/")
    room.refresh_from_db()
    assert not room.active
    duplicate = admin.post("/clinic/chairs/", {"name": "Quiet room", "kind": "room"}, follow=True)
    assert b"already exists" in duplicate.content
    assert Chair.objects.filter(clinic=clinic, name="Quiet room").count() == 1


def test_chairs_of_another_clinic_cannot_be_touched(client_for, other_clinic):
    foreign = Chair.objects.filter(clinic=other_clinic).first()
    assert (
        client_for("clinic_admin").post(f"/clinic/chairs/{foreign.pk}/toggle/").status_code == 404
    )
