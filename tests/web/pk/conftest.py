"""The session fixtures (bookings with signed orders, a configured IV protocol) reused here."""

from tests.web.sessions.conftest import (  # noqa: F401 (fixtures)
    configure_protocol,
    iv_protocol,
    make_booking,
    nurse_origin,
)
