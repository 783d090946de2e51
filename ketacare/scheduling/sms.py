"""Text messages through a pluggable backend, chosen by ``settings.SMS_BACKEND`` (a dotted path).

- ``ConsoleSmsBackend`` (the default) prints each message: development and demos.
- ``LocmemSmsBackend`` keeps them in ``LocmemSmsBackend.outbox``: tests.
- ``TwilioSmsBackend`` sends through Twilio's Messages API with ``TWILIO_ACCOUNT_SID``,
  ``TWILIO_AUTH_TOKEN`` and ``SMS_FROM_NUMBER``; any other provider is one class with ``send``.

``send`` returns the provider's message id (or "") and raises ``SmsError`` when the provider
refuses, so the caller records nothing and the next run tries again.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The provider did not accept the message."""


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> str: ...


class ConsoleSmsBackend:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str) -> str:
        self.stream.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        self.stream.flush()
        return ""


@dataclass(frozen=True)
class SentSms:
    to: str
    body: str


class LocmemSmsBackend:
    outbox: ClassVar[list[SentSms]] = []

    def send(self, *, to: str, body: str) -> str:
        self.outbox.append(SentSms(to, body))
        return f"locmem-{len(self.outbox)}"


class TwilioSmsBackend:
    """Twilio's REST API (``POST /2010-04-01/Accounts/{sid}/Messages.json``), standard library
    only. ``opener`` is replaceable so tests never touch the network."""

    API = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"

    def __init__(self, opener=None) -> None:
        missing = [
            name
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "SMS_FROM_NUMBER")
            if not getattr(settings, name, "")
        ]
        if missing:
            raise SmsError(f"The Twilio SMS backend needs {', '.join(missing)} in the environment")
        self.sid = settings.TWILIO_ACCOUNT_SID
        self.token = settings.TWILIO_AUTH_TOKEN
        self.sender = settings.SMS_FROM_NUMBER
        self.opener = opener or urllib.request.urlopen

    def send(self, *, to: str, body: str) -> str:
        data = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        request = urllib.request.Request(self.API.format(sid=self.sid), data=data, method="POST")
        basic = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        request.add_header("Authorization", f"Basic {basic}")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener(request, timeout=10) as response:
                answer = json.loads(response.read().decode() or "{}")
        except Exception as failed:  # network, HTTP 4xx/5xx, bad JSON: all mean "not sent"
            raise SmsError(f"Twilio did not accept the message: {failed}") from failed
        if answer.get("error_code"):
            raise SmsError(f"Twilio refused the message: {answer.get('message', '')}")
        return str(answer.get("sid", ""))


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
