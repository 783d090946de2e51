"""``{% extension_panels "order_panel" order %}``: the HTML every app adds to a shared page.

Pages owned by one app (an order, a session) show what other apps contribute without importing
them: each AppConfig may define the hook named here (see ``ketacare.core.panels``).
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from ketacare.core.panels import collect

register = template.Library()


@register.simple_tag(takes_context=True)
def extension_panels(context, hook: str, subject) -> SafeString:
    request = context.get("request")
    if request is None or subject is None:
        return mark_safe("")
    return mark_safe("".join(collect(hook, request, subject)))
