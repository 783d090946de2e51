"""Every write of the session app: one transaction each, audited, rules from the clinical core.
One module per aggregate: ``lifecycle`` (open, check in, pre-checks, dosing, discharge, signing),
``administration``, ``flowsheet``, ``rems``, ``at_home``. Reads live in ``selectors``."""

from __future__ import annotations

from ketacare.sessions.services.administration import (
    administration_record,
)
from ketacare.sessions.services.at_home import (
    AtHomeEntry,
    at_home_log,
)
from ketacare.sessions.services.flowsheet import (
    observation_record,
    side_effect_record,
    vitals_alert_acknowledge,
    vitals_record,
)
from ketacare.sessions.services.lifecycle import (
    ADDENDUM_STATES,
    DEFAULT_DRUG,
    DRUG_NAMES,
    PrecheckInput,
    session_abort,
    session_addendum,
    session_cancel,
    session_check_in,
    session_cosign,
    session_discharge,
    session_end_dosing,
    session_open,
    session_override,
    session_prechecks,
    session_sign,
    session_start_dosing,
)
from ketacare.sessions.services.rems import (
    rems_answers_update,
    rems_form_submitted,
)

__all__ = [
    "ADDENDUM_STATES",
    "DEFAULT_DRUG",
    "DRUG_NAMES",
    "AtHomeEntry",
    "PrecheckInput",
    "administration_record",
    "at_home_log",
    "observation_record",
    "rems_answers_update",
    "rems_form_submitted",
    "session_abort",
    "session_addendum",
    "session_cancel",
    "session_check_in",
    "session_cosign",
    "session_discharge",
    "session_end_dosing",
    "session_open",
    "session_override",
    "session_prechecks",
    "session_sign",
    "session_start_dosing",
    "side_effect_record",
    "vitals_alert_acknowledge",
    "vitals_record",
]
