"""The resource types, one module per group; importing this package registers them all."""

from ketacare.fhir.resources import (  # noqa: F401  (each module registers its types)
    alerts,
    directory,
    intake,
    observations,
    orders,
    patients,
    sessions,
)
