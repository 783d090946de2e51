from django import template

register = template.Library()


@register.filter
def words(value) -> str:
    """``post_dose`` -> ``post dose``: machine keys shown as words."""
    return str(value).replace("_", " ")
