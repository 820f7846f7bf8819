"""Loading an attempt with its quiz from hand-written SQL, converted exactly as the ORM does.

Every attempt page (the exam page, autosave's fallback, the submit) starts by reading the
learner's attempt with its quiz. Through the ORM, building that query and its two model
instances took several times as long as the database took to answer it: on exam day, most of
a page view's own time (issue 12). Here the statement is written once per process from the
models' own columns, and each value goes through the converters the ORM would apply
(`connection.ops.get_db_converters` and the field's own), so the instances are the same as
`Attempt.objects.select_related("quiz").get(...)` gives.
"""

from __future__ import annotations

from django.db import connections

from quizzes.models import Attempt, Quiz


def _plan(connection):
    """The statement and the converters, once per connection wrapper (each thread has its own:
    converters are the backend's bound methods)."""
    plan = getattr(connection, "_quizzes_attempt_plan", None)
    if plan is None:
        plan = connection._quizzes_attempt_plan = _build_plan(connection)
    return plan


def _build_plan(connection):
    quote = connection.ops.quote_name
    parts = []
    for model, table in ((Attempt, "a"), (Quiz, "q")):
        fields = list(model._meta.concrete_fields)
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            found = (connection.ops.get_db_converters(column)
                     + field.get_db_converters(connection))
            converters.append((column, found) if found else None)
        parts.append((model, [f.attname for f in fields], converters,
                      [f"{table}.{quote(f.column)}" for f in fields]))
    columns = ", ".join(c for part in parts for c in part[3])
    # Identifiers only, from the models' metadata and quoted by the backend; values are
    # parameters.
    sql = (f"SELECT {columns} FROM {quote(Attempt._meta.db_table)} a "  # noqa: S608
           f"INNER JOIN {quote(Quiz._meta.db_table)} q ON q.{quote('id')} = a.{quote('quiz_id')} "
           f"WHERE a.{quote('id')} = %s AND a.{quote('user_id')} = %s")
    return sql, [(model, names, converters) for model, names, converters, _c in parts]


def attempt_with_quiz(*, attempt_id: int, user_id: int, using: str = "default"
                      ) -> Attempt | None:
    """The user's attempt with its quiz selected, in one query; None when there is none."""
    connection = connections[using]
    sql, models = _plan(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [attempt_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    instances = []
    offset = 0
    for model, names, converters in models:
        values = list(row[offset:offset + len(names)])
        offset += len(names)
        for index, planned in enumerate(converters):
            if planned is not None:
                expression, field_converters = planned
                for converter in field_converters:
                    values[index] = converter(values[index], expression, connection)
        instances.append(model.from_db(using, names, values))
    attempt, quiz = instances
    attempt.quiz = quiz
    return attempt
