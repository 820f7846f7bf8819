"""Loading an attempt with its quiz from hand-written SQL, converted exactly as the ORM does.

Every attempt page (the exam page, autosave's fallback, the submit) starts by reading the
learner's attempt with its quiz. Through the ORM, building that query and its two model
instances took several times as long as the database took to answer it: on exam day, most of
a page view's own time (issue 12). Here the statement is written once per process from the
models' own columns, and each value goes through the converters the ORM would apply
(`connection.ops.get_db_converters` and the field's own), so the instances are the same as
`Attempt.objects.select_related("quiz").get(...)` gives.

`rows_converted` is the same conversion for any written-out query: give it the model field each
column holds, and each value comes back as the ORM would have given it for that field, on
SQLite and PostgreSQL alike (the attempt page's paper, autosave's read).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections

from quizzes.models import Attempt, Quiz


def prepared_statements(connection) -> bool:
    """Whether `cursor` keeps statements prepared on this connection: PostgreSQL with a
    `prepare_threshold` in the database's OPTIONS (settings: DB_PREPARED_STATEMENTS)."""
    return (connection.vendor == "postgresql"
            and connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None)


@contextmanager
def cursor(connection):
    """A cursor for the exam path's written-out statements. On PostgreSQL with prepared
    statements on, it binds parameters on the server, so psycopg prepares a statement the
    connection has run `prepare_threshold` times and PostgreSQL stops parsing and planning it
    on every request: half of the attempt page's database time (issue 12). The ORM's cursors
    keep binding on the client (Django's default), so nothing else changes. Elsewhere, the
    connection's ordinary cursor.

    Django's own steps for a cursor (health check, connection, timezone loader, query logging
    and execute wrappers) are taken as `connection.cursor()` takes them."""
    if not prepared_statements(connection):
        with connection.cursor() as found:
            yield found
        return
    # PostgreSQL only, so imported here: SQLite installs need not have psycopg.
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
        _timezone_align(connection, raw)
        wrapped = connection._prepare_cursor(raw)
    with wrapped:
        yield wrapped


def _timezone_align(connection, raw) -> None:
    """What the backend's create_cursor does for its cursors: the connection's time zone for
    timestamps, when the connection's loader has another."""
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, raw)


def _converters(connection, fields: tuple) -> list:
    """(column index, column expression, converters) of the columns whose field has any, once
    per connection wrapper and column list (converters are the backend's bound methods, and
    each thread has its own wrapper)."""
    cache = connection.__dict__.setdefault("_rowload_converters", {})
    found = cache.get(fields)
    if found is None:
        found = []
        for index, field in enumerate(fields):
            if field is None:
                continue
            column = field.get_col(field.model._meta.db_table)
            chain = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if chain:
                found.append((index, column, chain))
        cache[fields] = found
    return found


def rows_converted(rows, fields: tuple, *, connection) -> list[list]:
    """The rows of a written-out query, each column converted as the ORM converts values of
    the model field at the same position in `fields` (None: the value as it came)."""
    converters = _converters(connection, fields)
    converted = []
    for row in rows:
        values = list(row)
        for index, column, chain in converters:
            value = values[index]
            for converter in chain:
                value = converter(value, column, connection)
            values[index] = value
        converted.append(values)
    return converted


def _columns(connection, model, alias: str | None = None):
    """A model's concrete fields, their attribute names (for `from_db`) and their columns as
    a SELECT names them (quoted, behind the table's alias if given)."""
    quote = connection.ops.quote_name
    own = tuple(model._meta.concrete_fields)
    prefix = f"{alias}." if alias else ""
    return own, [f.attname for f in own], [f"{prefix}{quote(f.column)}" for f in own]


def _plan(connection):
    """The statement and its columns' fields, once per connection wrapper."""
    plan = getattr(connection, "_quizzes_attempt_plan", None)
    if plan is None:
        plan = connection._quizzes_attempt_plan = _build_plan(connection)
    return plan


def _build_plan(connection):
    quote = connection.ops.quote_name
    parts, fields, columns = [], [], []
    for model, table in ((Attempt, "a"), (Quiz, "q")):
        own, names, selected = _columns(connection, model, alias=table)
        parts.append((model, names))
        fields += own
        columns += selected
    # Identifiers only, from the models' metadata and quoted by the backend; values are
    # parameters.
    sql = (f"SELECT {', '.join(columns)} FROM {quote(Attempt._meta.db_table)} a "  # noqa: S608
           f"INNER JOIN {quote(Quiz._meta.db_table)} q ON q.{quote('id')} = a.{quote('quiz_id')} "
           f"WHERE a.{quote('id')} = %s AND a.{quote('user_id')} = %s")
    return sql, tuple(fields), parts


def attempt_with_quiz(*, attempt_id: int, user_id: int, using: str = "default"
                      ) -> Attempt | None:
    """The user's attempt with its quiz selected, in one query; None when there is none."""
    connection = connections[using]
    sql, fields, parts = _plan(connection)
    with cursor(connection) as found:
        found.execute(sql, [attempt_id, user_id])
        row = found.fetchone()
    if row is None:
        return None
    (values,) = rows_converted([row], fields, connection=connection)
    instances = []
    offset = 0
    for model, names in parts:
        instances.append(model.from_db(using, names, values[offset:offset + len(names)]))
        offset += len(names)
    attempt, quiz = instances
    attempt.quiz = quiz
    return attempt


def _row_plan(connection, model):
    """The statement reading one row of `model` by primary key, and its columns' fields."""
    plans = connection.__dict__.setdefault("_rowload_row_plans", {})
    plan = plans.get(model)
    if plan is None:
        quote = connection.ops.quote_name
        own, names, selected = _columns(connection, model)
        # Identifiers only, from the model's metadata and quoted by the backend.
        sql = (f"SELECT {', '.join(selected)} "  # noqa: S608
               f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} = %s")
        plan = plans[model] = (sql, own, names)
    return plan


def instance_get(model, *, pk: int, using: str = "default"):
    """`model.objects.filter(pk=pk).first()` as one written-out, prepared statement: the same
    instance, or None (a start's quiz, issue 12)."""
    connection = connections[using]
    sql, fields, names = _row_plan(connection, model)
    with cursor(connection) as found:
        found.execute(sql, [pk])
        row = found.fetchone()
    if row is None:
        return None
    (values,) = rows_converted([row], fields, connection=connection)
    return model.from_db(using, names, values)


_MINE_SQL = ("SELECT id, status FROM quizzes_attempt "
             "WHERE quiz_id = %s AND user_id = %s ORDER BY id")


def attempts_of_user(*, quiz_id: int, user_id: int, using: str = "default"
                     ) -> list[tuple[int, str]]:
    """(id, status) of the user's attempts at the quiz, oldest first (a start's first read)."""
    connection = connections[using]
    with cursor(connection) as found:
        found.execute(_MINE_SQL, [quiz_id, user_id])
        return [(pk, status) for pk, status in found.fetchall()]
