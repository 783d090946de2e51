"""Blood-pressure and heart-rate thresholds shared by screening and session monitoring.

Written once here so eligibility (before a course) and monitoring (before and during a dose)
cannot drift apart. All rest on unverified sources: the medical director must confirm them.
"""

from __future__ import annotations

from ketacare.clinical.common import Provenance

# "Above" is strict: 140/90 itself passes; 141/90 or 140/91 does not.
PRE_TREATMENT_SYSTOLIC_MMHG = 140  # source: S14 (weak; label wording [memory, verify]); §2
PRE_TREATMENT_DIASTOLIC_MMHG = 90  # source: S14 (weak; label wording [memory, verify]); §2
PRE_TREATMENT_ESKETAMINE = Provenance(
    ("S14",), False, "label: e.g. > 140/90 -> weigh risk, consider delay"
)
PRE_TREATMENT_RACEMIC = Provenance(("§2",), False, "APA: baseline > 140/90 -> evaluate/treat first")

# Stop or slow during a session: commonly cited, origin possibly Mount Sinai protocols (Wan 2015).
STOP_SYSTOLIC_MMHG = 180  # source: §2 [memory, verify]
STOP_DIASTOLIC_MMHG = 100  # source: §2 [memory, verify]
STOP_HEART_RATE_BPM = 110  # source: §2 [memory, verify]
STOP_NOTE = "commonly cited stop/slow threshold (Mount Sinai protocols, Wan 2015)"
