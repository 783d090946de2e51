"""``{% load labels %}{{ trial.outcome|label }}``: a stored code shown in words."""

from django import template

from ketacare.core.labels import label as code_label

register = template.Library()


@register.filter
def label(value) -> str:
    return code_label(value)
