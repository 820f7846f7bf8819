"""Recompute every derived course status from the records: `manage.py rebuild_progress`.

Prints one line per change (a lesson completed because its quiz/exercise was passed, an
enrolment whose status changed) and a summary; a consistent database prints "0 changes".
"""

from django.core.management.base import BaseCommand, CommandError

from courses.services import progress_rebuild


class Command(BaseCommand):
    help = "Recompute course completion from lesson completions, quizzes and exercises."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Only enrolments started in this year.")

    def handle(self, *args, year=None, **options):
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError(f"--year must be between 2000 and 2100, not {year}")
        report = progress_rebuild(year=year)
        for completion in report.lessons_completed:
            self.stdout.write(f"lesson completed: user={completion.user_id} "
                              f"lesson={completion.lesson_id} ({completion.how})")
        for change in report.status_changes:
            enrolment = change.enrolment
            self.stdout.write(f"enrolment {enrolment.pk}: user={enrolment.user_id} "
                              f"course={enrolment.course_id} "
                              f"{change.old_status} -> {change.new_status}")
        total = len(report.lessons_completed) + len(report.status_changes)
        self.stdout.write(f"{total} changes")
