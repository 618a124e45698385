"""Lookups by key stay index lookups while a table grows faster than it is analysed, as the
webhook tables do in a burst (autovacuum analyses a table at most once a minute)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from syndicate.runtime import Runtime

FILL = (
    "INSERT INTO plan_probe SELECT 'k' || n, repeat('x', 200) "
    "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) n"
)


def rows_read_by_scans(conn: Connection) -> int:
    return int(
        conn.execute(
            text("SELECT seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = 'plan_probe'")
        ).scalar_one()
    )


def test_a_statement_planned_on_a_small_table_uses_the_index_once_the_table_is_large(
    runtime: Runtime,
) -> None:
    lookup = text("SELECT id FROM plan_probe WHERE id IN (:a, :b)")
    with runtime.engine.connect() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE plan_probe (id text PRIMARY KEY, body text)"))
        conn.execute(text(FILL), {"a": 1, "b": 50})
        conn.execute(text("ANALYZE plan_probe"))
        for n in range(12):  # prepared on the server, and planned, while the table is small
            conn.execute(lookup, {"a": f"k{n + 1}", "b": "none"})
        conn.execute(text(FILL), {"a": 51, "b": 20_000})  # and not analysed since
        before = rows_read_by_scans(conn)
        for n in range(12):
            assert conn.execute(lookup, {"a": f"k{n + 100}", "b": "none"}).scalar() == f"k{n + 100}"
        assert rows_read_by_scans(conn) - before == 0
