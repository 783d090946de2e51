"""``{% csrf_token %}`` also renders a one-time ``form_token``, new at every render.

Installed as a template builtin (settings ``TEMPLATES[...]["OPTIONS"]["builtins"]``), so it
replaces Django's tag everywhere: every form of every app that carries a CSRF token carries a
form token too, and ``ketacare.core.idempotency`` turns a double submit of one rendered form into
a replay of the first answer.
"""

from __future__ import annotations

import secrets

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html

register = template.Library()

FORM_TOKEN_FIELD = "form_token"  # ketacare.core.idempotency reads it


class CsrfAndFormTokenNode(CsrfTokenNode):
    def render(self, context) -> str:
        csrf = super().render(context)
        if not csrf:
            return csrf
        return csrf + format_html(
            '<input type="hidden" name="{}" value="{}">',
            FORM_TOKEN_FIELD,
            secrets.token_urlsafe(18),
        )


@register.tag("csrf_token")
def csrf_token(parser, token) -> CsrfAndFormTokenNode:
    return CsrfAndFormTokenNode()
