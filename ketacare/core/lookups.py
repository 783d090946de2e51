"""Reading one record a request names by its id, scoped to the clinic or patient in use."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

from ketacare.core.errors import NotFound

M = TypeVar("M", bound=Model)


def one_or_not_found(records: QuerySet[M], missing: str, **lookup: Any) -> M:
    """The one record of ``records`` matching ``lookup``, or NotFound (404) saying ``missing``.

    ``records`` or ``lookup`` carry the scope (the clinic, the patient), so another clinic's
    record is answered exactly as one that does not exist."""
    try:
        return records.get(**lookup)
    except ObjectDoesNotExist as absent:
        raise NotFound(missing) from absent
