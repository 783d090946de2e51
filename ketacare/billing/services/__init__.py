"""Every billing write, one module per aggregate: set-up (policy), charges, payments (with the
online card flow in ``online``), sliding-scale assessments and prior authorisations; all ledger
writes go through ``ledger``."""
