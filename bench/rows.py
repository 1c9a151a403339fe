"""Set-based data generation that follows the models: the columns a generator does not name get their defaults.

A scenario generates rows with ``INSERT ... SELECT`` over ``generate_series`` (seconds for a million rows, where the
ORM would take minutes) and names the columns its figures depend on. Every other column that cannot be NULL takes
the model field's default, read from the model when the query is built, so a column added later with a default (the
SLA state of a ticket, say) does not break the generators. A new NOT NULL column without a default has no value to
guess: the generator fails at once, naming it.
"""

from django.db import connection
from django.db.models import NOT_PROVIDED, DateField, DateTimeField, TimeField


class GeneratorError(Exception):
    """A NOT NULL column the generator does not give has no default to fill it with."""


def default_columns(model, given):
    """``(columns, values)``: SQL text of every NOT NULL column of `model` that is not in `given` (column names),
    and of the model's default for each, to append to an ``INSERT ... SELECT``'s column list and select list.
    Both start with ", " when not empty. A `%` in a value is doubled, as the query goes through parameter
    substitution."""
    given = set(given)
    columns, values = [], []
    with connection.cursor() as cursor:
        for field in model._meta.concrete_fields:
            column = field.column
            if column in given or field.null or field.primary_key or field.db_default is not NOT_PROVIDED:
                continue
            if isinstance(field, DateTimeField | DateField | TimeField) and (field.auto_now or field.auto_now_add):
                sql = "now()"
            else:
                value = field.get_default()
                if value is None:
                    raise GeneratorError(f"{model._meta.db_table}.{column} is NOT NULL and has no default: "
                                         f"the generator must give it")
                prepared = field.get_db_prep_save(value, connection)
                sql = cursor.mogrify("%s", [prepared]).decode().replace("%", "%%")
            columns.append(connection.ops.quote_name(column))
            values.append(sql)
    if not columns:
        return "", ""
    return ", " + ", ".join(columns), ", " + ", ".join(values)
