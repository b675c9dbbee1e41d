"""The recursive hierarchy query, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event

from openspc.db.repo.hierarchy import characteristics_below
from openspc.testing.builders import Plant

from .conftest import node


def test_characteristics_below_several_roots_in_one_query(database_url):
    plant = Plant(database_url)
    elsewhere = plant.line
    site = node(plant, "Site", "site", None)
    line = node(plant, "Line A", "line", site)
    cell = node(plant, "Cell 1", "cell", line)
    empty = node(plant, "Area 9", "area", site)
    plant.line = cell
    a = plant.characteristic("a")
    plant.line = line
    b = plant.characteristic("b")
    plant.line = elsewhere
    c = plant.characteristic("c")

    statements: list[str] = []
    event.listen(plant.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with plant.engine.connect() as conn:
        found = characteristics_below(conn, [site, line, cell, empty, elsewhere, 987654])

    assert found == {
        site: {a, b},
        line: {a, b},
        cell: {a},
        empty: frozenset(),
        elsewhere: {c},
    }
    assert len(statements) == 1 and "RECURSIVE" in statements[0].upper()
    plant.engine.dispose()
