"""The today board: every chair, who is in it, the next reading due, open alerts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketacare.core.access import require_capability
from ketacare.core.roles import Capability
from ketacare.sessions.selectors import (
    today_appointments_without_chair,
    today_board,
)


def _board_context(request) -> dict:
    now = timezone.now()
    return {
        "rows": today_board(request.access, now=now),
        "unplaced": today_appointments_without_chair(request.access, now=now),
        "now": now,
        "clinic": request.access.clinic,
    }


@require_GET
@require_capability(Capability.SESSION_DOCUMENT)
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/board.html", _board_context(request))


@require_GET
@require_capability(Capability.SESSION_DOCUMENT)
def board_live(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/_board.html", _board_context(request))
