"""Bulk inserts of the pipeline's hot rows (staged records, order states, links, Order
History) without the ORM's per-value work.

``QuerySet.bulk_create`` compiles every value of every row through the SQL compiler
(``field_as_sql``, ``pre_save``, ``get_db_prep_save``): for a 10,000-order sync that was the
largest single share of the product's CPU. Here each field's value is prepared once per row
by a function chosen once per field, and the rows go in one ``executemany`` of
``INSERT … ON CONFLICT (…) DO UPDATE`` (or ``DO NOTHING``), which SQLite and PostgreSQL
read alike. The result in the database is the same as ``bulk_create`` with
``update_conflicts`` / ``ignore_conflicts`` (tested); primary keys are not set on the
instances and no signals are sent (``bulk_create`` sends none either).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone

_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _preparer(field: models.Field, connection) -> Callable[[models.Model], Any]:
    attname = field.attname
    stamp = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if stamp and type(field) is models.DateTimeField:
        # What pre_save(add=True) sets, taken once per call: every row of it gets one stamp.
        now = timezone.now()
        stored = field.get_db_prep_save(now, connection)

        def stamped_once(obj: models.Model) -> Any:
            setattr(obj, attname, now)
            return stored

        return stamped_once
    if stamp:

        def stamped(obj: models.Model) -> Any:
            return field.get_db_prep_save(field.pre_save(obj, add=True), connection)

        return stamped
    if isinstance(field, models.DateTimeField):
        return _datetime_preparer(attname, connection)
    if isinstance(field, _PLAIN) and not isinstance(field, models.JSONField):
        # A str passes as it is only into a plain text column: a subclass may prepare it
        # (EncryptedSecretField encrypts one; a mapping has no descriptor to do it first).
        kind = str if type(field) in (models.CharField, models.TextField) else None

        def plain(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None or (kind is not None and type(value) is kind):
                return value
            return field.get_db_prep_save(value, connection)

        return plain
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


def _datetime_preparer(attname: str, connection) -> Callable[[models.Model], Any]:
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        return lambda obj: adapt(getattr(obj, attname))
    # SQLite's adapt_datetimefield_value, without its settings and timezone lookups per
    # value: an aware datetime is made naive in the connection's zone and stored as str().
    zone = connection.timezone

    def naive_text(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        if type(value) is datetime and value.utcoffset() is not None:
            return str(value.astimezone(zone).replace(tzinfo=None))
        return adapt(value)

    return naive_text


def _from_mappings(
    model: type[models.Model], fields: list[models.Field], objs: Sequence[Any]
) -> list[Any]:
    """Mappings (attname → value; a missing field gets its default, as ``Model()`` gives it)
    as objects the preparers read, without building model instances (``Model.__init__``
    and its signals were ~5 % of a sync's CPU); model instances pass as they are."""
    fixed, made = {}, []
    for field in fields:
        if field.has_default() and callable(field.default):
            made.append(field)
        else:
            fixed[field.attname] = field.get_default()
    known = {field.attname for field in fields}
    rows = []
    for obj in objs:
        if isinstance(obj, models.Model):
            rows.append(obj)
            continue
        if not obj.keys() <= known:
            raise TypeError(f"{model.__name__} has no field {sorted(obj.keys() - known)}")
        row = SimpleNamespace(**fixed)
        row.__dict__.update(obj)
        for field in made:
            if field.attname not in obj:
                setattr(row, field.attname, field.get_default())
        rows.append(row)
    return rows


def bulk_upsert(
    objs: Sequence[models.Model | Mapping[str, Any]],
    *,
    model: type[models.Model] | None = None,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> None:
    """Insert ``objs``; a row that collides on ``unique_fields`` gets ``update_fields`` from
    the new one (or, with ``ignore_conflicts``, is left alone). ``objs`` are instances of
    ``model`` or mappings of its fields' attnames (``run_id``, not ``run``) to values."""
    if not objs:
        return
    model = model or type(objs[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    fields = [
        f
        for f in meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model, quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    else:
        target = ", ".join(quote(meta.get_field(name).column) for name in unique_fields)
        updates = ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}"
            for c in (meta.get_field(name).column for name in update_fields)
        )
        sql += f" ON CONFLICT ({target}) DO UPDATE SET {updates}"
    prepare = [_preparer(f, connection) for f in fields]
    rows = [tuple([p(obj) for p in prepare]) for obj in _from_mappings(model, fields, objs)]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
