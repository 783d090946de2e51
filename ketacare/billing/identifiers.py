"""Billing identifiers as printed on a superbill: NPI and employer tax ID (EIN), checked for shape.

The NPI check digit is the Luhn digit over the NPI prefixed with 80840 (CMS's NPI standard; not
in the clinical reference, so a value it refuses can still be checked against NPPES by hand).
"""

from __future__ import annotations

import re

from ketacare.core.errors import Invalid

_NPI = re.compile(r"^\d{10}$")
_EIN = re.compile(r"^\d{2}-?\d{7}$")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def npi_clean(value: str, *, field: str = "npi") -> str:
    """A 10-digit NPI whose check digit holds; blank stays blank."""
    value = (value or "").strip().replace(" ", "")
    if not value:
        return ""
    if not _NPI.match(value) or not _luhn_valid("80840" + value):
        raise Invalid.field(field, f"{value} is not a valid NPI: 10 digits with a valid check "
                                   "digit (look it up in the NPPES registry).")
    return value


def ein_clean(value: str, *, field: str = "tax_id") -> str:
    """An employer identification number as NN-NNNNNNN; blank stays blank."""
    value = (value or "").strip().replace(" ", "")
    if not value:
        return ""
    if not _EIN.match(value):
        raise Invalid.field(field, f"{value} is not a tax ID (EIN): 9 digits, written NN-NNNNNNN.")
    digits = value.replace("-", "")
    return f"{digits[:2]}-{digits[2:]}"
