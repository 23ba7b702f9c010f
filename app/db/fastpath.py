"""Pre-compiled INSERTs for the hot path (invoice creation, bench P1), bypassing the ORM.

Values go through each column type's own bind processor (the same TypeDecorators the ORM uses),
so rows written here are indistinguishable from ORM-written ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.schema import ScalarElementColumnDefault

_DIALECT = sqlite.dialect()


class CompiledInsert:
    def __init__(self, table: Table) -> None:
        self._columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        names = ", ".join(f'"{c.name}"' for c in self._columns)
        marks = ", ".join("?" for _ in self._columns)
        self.sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        self._processors = [c.type._cached_bind_processor(_DIALECT) for c in self._columns]
        self._defaults = [c.default.arg if isinstance(c.default, ScalarElementColumnDefault) else None
                          for c in self._columns]

    def params(self, values: Mapping[str, object]) -> tuple[object, ...]:
        out = []
        for column, process, default in zip(self._columns, self._processors, self._defaults, strict=True):
            value = values.get(column.name, default)
            out.append(process(value) if process is not None and value is not None else value)
        return tuple(out)


@cache
def compiled_insert(table: Table) -> CompiledInsert:
    return CompiledInsert(table)
