"""Compute the department assessment of a year: `manage.py compute_assessment --year Y`
(a public contract: keep it stable).

Creates the year's default scheme first when there is none and a training plan of that year is
published; computes every automatic item for every department of the plan (the same service as
the admin's button and the nightly task) and prints a summary in the site's language. Exit 0, or
1 with a message for an unknown year, a year without a published plan, or a locked scheme.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from assessments import selectors, services
from assessments.models import ItemKind


class Command(BaseCommand):
    help = "Compute the department assessment (training items, totals, grades, ranks) of a year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True,
                            help="The assessment year, e.g. 2026.")

    def handle(self, *args, year, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._run(year)

    def _run(self, year: int) -> None:
        from assessments.metrics import plan_for_year

        if not 2000 <= year <= 2100:
            raise CommandError(_("Unknown year %(year)s.") % {"year": year})
        scheme = selectors.scheme_for_year(year)
        if scheme is None:
            if plan_for_year(year) is None:
                raise CommandError(_("There is no assessment scheme and no published training "
                                     "plan for %(year)s.") % {"year": year})
            scheme = services.scheme_default_create(year=year)
            self.stdout.write(_("Created the default assessment scheme “%(title)s”.") % {
                "title": scheme.title})
        if scheme.is_locked:
            raise CommandError(_("The %(year)s assessment scheme is locked: unlock it in the "
                                 "admin (with a reason) to compute again.") % {"year": year})
        if scheme.plan_id is None:
            raise CommandError(_("The %(year)s assessment scheme has no training plan: choose "
                                 "one in the admin first.") % {"year": year})
        started = time.monotonic()
        try:
            changed = services.scores_compute(scheme=scheme)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        elapsed = time.monotonic() - started
        departments = scheme.results.count()
        automatic = scheme.items.filter(kind=ItemKind.AUTOMATIC).count()
        self.stdout.write(_(
            "%(title)s: %(departments)d departments, %(computed)d automatic scores computed "
            "(%(changed)d changed) in %(seconds).1f s.") % {
            "title": scheme.title, "departments": departments,
            "computed": departments * automatic, "changed": changed, "seconds": elapsed})
