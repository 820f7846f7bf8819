"""Display labels for casebook codes: finding severities, monitoring lights and 万元 amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language, pgettext_lazy

register = template.Library()

# Stored results keep the English keys (the checker and the CLI JSON use them); people read these.
SEVERITY_LABELS = {
    "error": pgettext_lazy("goal table finding severity", "Error"),
    "warning": pgettext_lazy("goal table finding severity", "Warning"),
    "info": pgettext_lazy("goal table finding severity", "Hint"),
}
LIGHT_LABELS = {
    "red": pgettext_lazy("monitoring traffic light", "Red"),
    "yellow": pgettext_lazy("monitoring traffic light", "Yellow"),
    "green": pgettext_lazy("monitoring traffic light", "Green"),
    "blue": pgettext_lazy("monitoring traffic light", "Blue"),
}
WAN = Decimal(10_000)
MILLION = Decimal(1_000_000)


@register.filter
def severity_label(value) -> str:
    """错误 / 警告 / 提示 for error / warning / info; anything else unchanged."""
    return SEVERITY_LABELS.get(str(value or ""), value or "")


@register.filter
def light_label(value) -> str:
    """红灯 / 黄灯 / 绿灯 / 蓝灯 for the light keys; anything else (a blank answer) unchanged."""
    return LIGHT_LABELS.get(str(value or ""), value or "")


def _plain(number: Decimal, places: int, *, grouped: bool = False) -> str:
    """The number rounded to `places` decimals without trailing zeros ("1,560" when grouped)."""
    text = format(round(number, places), ",f" if grouped else "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.filter
def wan_yuan(value) -> str:
    """An amount held in 万元: "400 万元" in Chinese, "CNY 4 million" in English.

    English readers do not count in units of 10,000, so the English text converts to millions
    (or to whole yuan below one million) instead of writing "400 × 10,000 yuan".
    """
    try:
        wan = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if not wan.is_finite():
        return ""
    if (get_language() or "").startswith("en"):
        yuan = wan * WAN
        if abs(yuan) >= MILLION:
            return f"CNY {_plain(yuan / MILLION, 4, grouped=True)} million"
        return f"CNY {_plain(yuan, 0, grouped=True)}"
    return f"{_plain(wan, 2)} 万元"
