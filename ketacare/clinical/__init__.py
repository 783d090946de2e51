"""The clinical core: pure Python rules, no Django, no database, no clock of its own.

Every threshold is a configurable default carrying its source from
``shared/clinical-reference.md`` (``# source: S94``); defaults the reference marks
``[memory, verify]`` or ``[weak]`` are flagged ``verified=False`` so the medical director
sees them as unverified until the clinic confirms them.
"""
