from django.apps import AppConfig

from ketacare.core.roles import Capability


class FhirConfig(AppConfig):
    """The clinic's record as a FHIR R4 server at /fhir/r4/: read, search, bulk export, and a
    small import that pre-fills a registration for staff to review."""

    name = "ketacare.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 server"
    url_prefix = "fhir/r4/"
    api_prefix = None
    nav = [("Imports (FHIR)", "fhir:prefill_list", Capability.INTAKE_EDIT)]
