"""An e-mail backend whose server is down: every send raises, as SMTP would."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away (test)")
