"""gettext that also works outside a configured Django project (plain-Python use, benchmarks)."""


def gettext(message: str) -> str:
    """Translate with Django when settings are configured, else return the English msgid."""
    try:
        from django.conf import settings

        if not settings.configured:
            return message
        from django.utils.translation import gettext as django_gettext

        return django_gettext(message)
    except Exception:  # translation must never break validation
        return message


def gettext_noop(message: str) -> str:
    """Mark a module-level message for `makemessages`; it is translated where it is shown."""
    return message
