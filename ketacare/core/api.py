from __future__ import annotations

from ninja import Router, Schema

router = Router(tags=["me"])


class ClinicOut(Schema):
    id: int
    name: str
    time_zone: str


class MeOut(Schema):
    username: str
    clinic: ClinicOut | None
    roles: list[str]
    clinics: list[ClinicOut]
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="Who I am, where, and what I may do")
def me(request):
    access = request.access
    from ketacare.core.roles import Capability

    def clinic(c):
        return {"id": c.pk, "name": c.name, "time_zone": c.time_zone}

    return {
        "username": request.user.get_username(),
        "clinic": clinic(access.clinic) if access.clinic else None,
        "roles": sorted(access.roles),
        "clinics": [clinic(c) for c in access.clinics],
        "capabilities": sorted(str(c) for c in Capability if access.can(c)),
    }
