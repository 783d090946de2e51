"""What a treatment session tells the apps that react to it (``ketacare.core.events``).

Each name is emitted by the service that did it, after its write and inside its transaction, with
the keyword arguments listed. The controlled-substance ledger subscribes to administrations and
to the end of dosing (waste to witness), billing to signed sessions, long-term safety to signed
sessions and to the patient's at-home logs.
"""

from __future__ import annotations

ADMINISTRATION_RECORDED = "sessions.administration_recorded"
"""``session``, ``administration`` (the AdministrationEvent), ``total_given_mg``, ``origin``,
``at``."""

DOSING_ENDED = "sessions.dosing_ended"
"""``session``, ``given_mg``, ``undelivered_mg`` (None when nothing was left), ``origin``,
``at``."""

SESSION_SIGNED = "sessions.session_signed"
"""``session`` (now immutable), ``origin``, ``at``."""

AT_HOME_LOGGED = "sessions.at_home_logged"
"""``at_home`` (the AtHomeSession the patient logged), ``origin``, ``at``."""
