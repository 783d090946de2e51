"""Every resource the server answers is built by its class in ``fhir.resources`` (R4B, the
R4-compatible classes; the package's default is R5): the builders write the elements, the class
checks them against the R4 definition (cardinality, value sets bound as required, data types) and
writes the JSON that is served. Resources inside ``contained`` are checked by their own class
(the R4B classes take a contained resource as any Resource)."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError


class NotConformant(Exception):
    """A built resource the R4B class refuses: a fault of the server (500), logged with why."""


def fhir_model(resource: dict[str, Any]):
    """``resource`` as an instance of its R4B class; NotConformant naming what is wrong."""
    kind = resource.get("resourceType", "")
    try:
        model = get_fhir_model_class(kind).model_validate(resource)
        for inner in resource.get("contained", ()):
            fhir_model(inner)
    except (ValidationError, KeyError, ValueError) as error:
        raise NotConformant(f"{kind}/{resource.get('id', '?')} is not valid R4: {error}") from error
    return model


def conformed(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as its R4B class serialises it (elements in FHIR's order, no empty ones)."""
    return json.loads(fhir_model(resource).model_dump_json())
