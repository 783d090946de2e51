"""Billing pages, one module per page group: the billing home and daily close (``home``),
charges (``charges``), the patient account with its forms and documents (``accounts``), the fee
schedule (``fees``) and the patient portal (``portal``)."""
