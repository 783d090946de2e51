"""One public view of a listing, shared by the pages, the API and the JSON-LD."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from ketacare.clinical.intake import Indication
from ketacare.directory.models import Listing
from ketacare.directory.selectors import route_labels

INDICATION_LABELS = {
    Indication.DEPRESSION: "Depression (including treatment-resistant)",
    Indication.BIPOLAR_DEPRESSION: "Bipolar depression",
    Indication.PTSD: "PTSD",
    Indication.OCD: "OCD",
    Indication.ANXIETY: "Anxiety",
    Indication.CHRONIC_PAIN_CRPS: "Chronic pain (CRPS)",
    Indication.SUICIDAL_IDEATION: "Depression with suicidal thoughts",
}


def indication_labels(values) -> list[str]:
    out = []
    for value in values:
        try:
            out.append(INDICATION_LABELS[Indication(value)])
        except ValueError:
            continue
    return out


def listing_out(listing: Listing, *, today: dt.date, distance_miles: float | None = None) -> dict:
    return {
        "slug": listing.slug,
        "name": listing.name,
        "address": listing.address_line1,
        "city": listing.city,
        "state": listing.state,
        "postal_code": listing.postal_code,
        "phone": listing.phone,
        "website": listing.website,
        "routes": list(listing.routes),
        "route_labels": route_labels(listing.routes),
        "indications": list(listing.indications),
        "price_ranges": listing.shown_price_ranges,
        "prices_from_fee_schedule": listing.prices_from_fee_schedule,
        "sliding_scale": listing.shown_sliding_scale,
        "insurance_accepted": list(listing.insurance_accepted),
        "bills_esketamine_to_insurance": listing.bills_esketamine_to_insurance,
        "languages": list(listing.languages),
        "accessibility": listing.accessibility,
        "telehealth_consultations": listing.telehealth_consultations,
        "verified": listing.is_verified(today),
        "verified_until": listing.verified_until if listing.is_verified(today) else None,
        "distance_miles": distance_miles,
        "next_available": listing.next_available,
        "profile_url": reverse("directory:profile", args=[listing.slug]),
    }


def json_ld(listing: Listing, *, base_url: str) -> dict:
    """schema.org MedicalClinic for search engines and assistive tools."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": listing.name,
        "url": base_url.rstrip("/") + reverse("directory:profile", args=[listing.slug]),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": listing.address_line1,
            "addressLocality": listing.city,
            "addressRegion": listing.state,
            "postalCode": listing.postal_code,
            "addressCountry": "US",
        },
        "medicalSpecialty": "Psychiatric",
        "availableService": [
            {"@type": "MedicalTherapy", "name": label} for label in route_labels(listing.routes)
        ],
    }
    if listing.phone:
        data["telephone"] = listing.phone
    if listing.latitude is not None:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": round(listing.latitude, 4),
            "longitude": round(listing.longitude, 4),
        }
    if listing.languages:
        data["knowsLanguage"] = list(listing.languages)
    if listing.website:
        data["sameAs"] = listing.website
    return data
