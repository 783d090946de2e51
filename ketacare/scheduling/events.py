"""Events the scheduling services emit (``ketacare.core.events``), with their keyword arguments.

- ``APPOINTMENTS_BOOKED``: ``appointments`` (list, one series or one session), ``at``.
- ``APPOINTMENT_MOVED``: ``appointment`` (at its new time), ``freed_start``, ``freed_chair_id``,
  ``at``.
- ``APPOINTMENT_CANCELLED``: ``appointment``, ``freed_start``, ``freed_chair_id``, ``at``.
- ``APPOINTMENT_NO_SHOW``: ``appointment``, ``at``.

The waitlist subscribes to the two that free a slot.
"""

APPOINTMENTS_BOOKED = "scheduling.appointments_booked"
APPOINTMENT_MOVED = "scheduling.appointment_moved"
APPOINTMENT_CANCELLED = "scheduling.appointment_cancelled"
APPOINTMENT_NO_SHOW = "scheduling.appointment_no_show"
