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

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

_NONE = type(None)
ZERO = timedelta(0)
_JSON_TYPES = frozenset({dict, list, str, int, float, bool})


def _column(field: models.Field, connection) -> tuple[frozenset, Callable[[Any], Any]]:
    """How one column's values are prepared: (the value types that pass as they are, the
    preparer of any other value), chosen once per call, so a row is prepared by one
    comprehension instead of a call per value through the field's isinstance chains."""

    def prepared(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    if type(field) in (models.CharField, models.TextField):
        # A str passes as it is only into a plain text column: a subclass may prepare it
        # (EncryptedSecretField encrypts one; a mapping has no descriptor to do it first).
        return frozenset({str, _NONE}), prepared
    if isinstance(field, models.ForeignKey):
        ints = isinstance(field.target_field, models.IntegerField)  # int(value) is value
        return frozenset({int, _NONE} if ints else {_NONE}), prepared
    if isinstance(field, models.IntegerField):
        return frozenset({int, _NONE}), prepared
    if type(field) is models.BooleanField:
        return frozenset({bool, _NONE}), prepared
    if isinstance(field, models.JSONField):
        adapt_json, encoder = connection.ops.adapt_json_value, field.encoder
        if type(connection.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value:
            # That adapter is json.dumps(value, cls=encoder): one encoder for the call
            # encodes alike (json.dumps builds one per value).
            encode = (encoder or json.JSONEncoder)().encode
            adapt_json = lambda value, _: encode(value)  # noqa: E731

        def json_value(value: Any) -> Any:
            # What JSONField.get_db_prep_save comes to for a plain value.
            if type(value) in _JSON_TYPES:
                return adapt_json(value, encoder)
            return prepared(value)

        return frozenset({_NONE}), json_value
    if isinstance(field, models.DateTimeField):
        return frozenset({_NONE}), _datetime_preparer(connection)
    if isinstance(field, models.CharField | models.TextField | models.BooleanField):
        return frozenset({_NONE}), prepared
    return frozenset(), prepared


def _stamps(fields: list[models.Field], connection) -> dict[str, tuple[Any, Any]]:
    """attname → (value, as stored) of each auto_now/auto_now_add field: what its
    ``pre_save(add=True)`` gives, taken once per call, so every row of it gets one stamp."""
    now = timezone.now()
    stamps = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now if type(field) is models.DateTimeField else field.pre_save(_Bare(), True)
            stamps[field.attname] = (value, field.get_db_prep_save(value, connection))
    return stamps


class _Bare:
    """Something ``pre_save`` can set an attribute on."""


def _datetime_preparer(connection) -> Callable[[Any], Any]:
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        return adapt
    # SQLite's adapt_datetimefield_value, without its settings and timezone lookups per
    # value: an aware datetime is made naive in the connection's zone and stored as str().
    zone = connection.timezone
    utc = zone.utcoffset(None) == ZERO

    def naive_text(value: Any) -> Any:
        if type(value) is datetime:
            offset = value.utcoffset()
            if offset == ZERO and utc:  # the common case: str() of it made naive
                return value.isoformat(" ")[:-6]
            if offset is not None:
                return str(value.astimezone(zone).replace(tzinfo=None))
        return adapt(value)

    return naive_text


def _rows(
    model: type[models.Model], fields: list[models.Field], objs: Sequence[Any], connection
) -> list[tuple]:
    """Each object's values in ``fields`` order, prepared for the database. Objects are
    mappings (attname → value; a missing field gets its default, as ``Model()`` gives it)
    or model instances (their attributes; stamps are set on them, as ``pre_save`` sets
    them). No model instance is built for a mapping (``Model.__init__`` and its signals
    were ~5 % of a sync's CPU)."""
    attnames = [f.attname for f in fields]
    known = set(attnames)
    stamps = _stamps(fields, connection)
    stored = {name: db for name, (_, db) in stamps.items()}
    fixed, made = {}, []
    for field in fields:
        if field.attname in stamps:
            continue
        if field.has_default() and callable(field.default):
            made.append(field)
        else:
            fixed[field.attname] = field.get_default()
    columns = [_column(f, connection) for f in fields]
    # A stamp column's values are all its one stored stamp: they pass as they are.
    passes = [
        frozenset({type(stored[f.attname])}) if f.attname in stored else ok
        for f, (ok, _) in zip(fields, columns, strict=True)
    ]
    preparers = [prepare for _, prepare in columns]
    values_of = itemgetter(*attnames)
    rows = []
    for obj in objs:
        if isinstance(obj, models.Model):
            for name, (value, _) in stamps.items():
                setattr(obj, name, value)
            row = {name: getattr(obj, name) for name in attnames} | stored
        else:
            if not obj.keys() <= known:
                raise TypeError(f"{model.__name__} has no field {sorted(obj.keys() - known)}")
            row = {**fixed, **obj, **stored}
            for field in made:
                if field.attname not in obj:
                    row[field.attname] = field.get_default()
        values = values_of(row) if len(attnames) > 1 else (row[attnames[0]],)
        rows.append(
            tuple(
                [
                    v if type(v) in ok else prepare(v)
                    for v, ok, prepare in zip(values, passes, preparers, strict=True)
                ]
            )
        )
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
    rows = _rows(model, fields, objs, connection)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
