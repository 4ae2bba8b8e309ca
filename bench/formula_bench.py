"""Formula benchmark: 5 formula columns (two depending on others) over a 10,000-investor grid.

Measures, in-process on a bulk-loaded grid (bench/grid_bench.py's loader): the formula engine
alone over every row; a full recompute of all 5 columns through the grid (evaluate + store the
cells that change); and the recompute after a single-cell edit (the dependent formula cells of
one row), plus a whole PATCH with and without formulas over HTTP-free calls.

    ./start.sh bench formula_bench [--rows 10000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grid_bench  # noqa: E402
from backend.grid import formula, formula_columns  # noqa: E402
from backend.config import load_settings  # noqa: E402
from backend.principal import Principal  # noqa: E402
from backend.server import App  # noqa: E402

FORMULAS = [
    ("Total Committed", "{Fund 1} + {Fund 2} + {Fund 3}"),
    ("Weighted", "{Total Committed} * {Percent 3}"),
    ("Days Since Touch", "DATETIME_DIFF(TODAY(), {Last Contact}, 'days')"),
    ("Follow Up?", 'IF(AND({Days Since Touch} > 30, {Status} != "Passed"), "Follow up", "")'),
    ("Label", 'UPPER(LEFT({Name}, 3)) & "-" & {Status}'),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    actor = Principal("user", id=None, name="bench", role="admin")
    with tempfile.TemporaryDirectory(prefix="vcrm-formulabench-") as data_dir:
        grid_bench.setup(data_dir, args.rows)
        app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "development"}))
        app.start()
        grid = app.grid
        create_ms = []
        for name, source in FORMULAS:
            t0 = time.perf_counter()
            grid.create_column(actor, name, "formula", {"formula": source})
            create_ms.append((time.perf_counter() - t0) * 1000)
        cache = grid.current()
        columns = list(cache.columns)
        graph = grid.formula_graph(columns)
        rows = [cache.rows[rid] for rid in cache.order]
        ctx = formula_columns.context_for("x", None, None)
        names = {c.id: c.name for c in columns}
        parsed = [(graph.by_id[cid], graph.parsed[cid]) for cid in graph.order]
        records = [{names[r]: row.values.get(r) for c, _ in parsed for r in c.options["refs"]} for row in rows]
        t0 = time.perf_counter()
        for record in records:
            for col, p in parsed:
                record[col.name] = formula.to_json(p.evaluate(record, ctx))[0]
        engine_ms = (time.perf_counter() - t0) * 1000

        def full_recompute():
            # Blank the formula cells first so every value is written again (the worst case).
            for row in rows:
                for cid in graph.order:
                    row.values[cid] = None
            return grid.write(lambda conn: grid._recompute_columns(conn, grid.cache.columns))

        t0 = time.perf_counter()
        changed = full_recompute()
        full_ms = (time.perf_counter() - t0) * 1000
        fund1 = next(c.id for c in columns if c.name == "Fund 1")
        edit_ms, patch_ms = [], []
        for i, row in enumerate(rows[:300]):
            values = dict(row.values)
            t0 = time.perf_counter()
            values[fund1] = i
            graph.compute(values, graph.affected([fund1]), formula_columns.context_for(row.id, row.created_at, None))
            edit_ms.append((time.perf_counter() - t0) * 1000)
        for i, row in enumerate(rows[300:600]):
            t0 = time.perf_counter()
            grid.update_row(actor, row.id, {fund1: i + 1})
            patch_ms.append((time.perf_counter() - t0) * 1000)
        print(f"formula benchmark: {args.rows:,} investors, 40 columns + 5 formula columns (2 depend on others)")
        print(f"  creating each formula column (validate + compute every row): "
              + ", ".join(f"{ms:.0f}" for ms in create_ms) + " ms")
        print(f"  engine only, 5 formulas x {args.rows:,} rows: {engine_ms:.0f} ms")
        print(f"  full recompute through the grid (evaluate + store {changed:,} cells): {full_ms:.0f} ms")
        print(f"  recompute after a single-cell edit (Fund 1 -> Total -> Weighted): "
              f"p50 {statistics.median(edit_ms) * 1000:.0f} us, max {max(edit_ms) * 1000:.0f} us")
        print(f"  whole cell edit in-process (transaction, audit, formulas, automations): "
              f"p50 {statistics.median(patch_ms):.2f} ms")
        app.db.close()


if __name__ == "__main__":
    main()
