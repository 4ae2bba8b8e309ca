"""The pipeline side of the grid, mixed into `Grid`: opportunities are the cells of each fund's
pipeline column. The checks a pipeline column must pass, and `set_opportunity`, the board's one
write (a grid edit through `Grid._write`, which makes the fund's pipeline column on first use).
Writes nothing itself: everything goes through the store's write path."""
from __future__ import annotations

from typing import Any

from . import opportunities
from .cache import Column
from ..errors import BadRequest, Conflict
from ..principal import Principal


class PipelineCells:
    """Needs the `Grid` it is mixed into (`_write`, `_insert_column`, `_reload_columns`, `_edit_row`)."""

    @staticmethod
    def _check_pipeline_fund(columns: list[Column], fund_id: str) -> None:
        fund = next((c for c in columns if c.id == fund_id), None)
        if fund is None or fund.type != "fund":
            raise BadRequest(f"options.fund_id {fund_id!r} is not a live fund column", field="options")
        taken = opportunities.column_for(columns, fund_id)
        if taken:
            raise Conflict(f"'{fund.name}' already has a pipeline column ('{taken.name}')", column_id=taken.id)

    @staticmethod
    def _check_pipeline_archive(conn, columns: list[Column], col: Column) -> None:
        """A board must keep its column: refuse to archive one with open cards, or the fund under it."""
        if col.type == "pipeline":
            count = opportunities.open_count(conn, col.options.get("fund_id"))
            if count:
                raise Conflict(f"'{col.name}' holds {count} opportunit{'y' if count == 1 else 'ies'} on the board;"
                               " hide it in a view instead, or clear its cells first", code="column_in_use")
        follower = opportunities.column_for(columns, col.id)
        if follower:
            raise Conflict(f"fund '{col.name}' has the pipeline column '{follower.name}'; archive that first",
                           code="column_in_use", used_by=[follower.name])

    def set_opportunity(self, actor: Principal, investor_id: str, fund_id: str, change: dict | None,
                        expected_version: int | None = None, commitment: Any = None) -> tuple[dict, str]:
        """Edit an investor's opportunity for a fund as a cell of the fund's pipeline column (made
        on first use), with the commitment written into the fund cell in the same edit when given.
        Returns (row, pipeline column id)."""
        def work(conn, columns):
            fund = next((c for c in columns if c.id == fund_id and c.type == "fund"), None)
            if fund is None:
                raise BadRequest(f"fund {fund_id!r} is not a live fund column", field="fund_id")
            column = opportunities.column_for(columns, fund_id)
            if column is None:
                taken = {c.name.casefold() for c in columns}
                name = next(n for n in (f"{fund.name} pipeline", *(f"{fund.name} pipeline {i}" for i in range(2, 99)))
                            if n.casefold() not in taken)
                column = self._insert_column(conn, actor, columns, name, "pipeline", {"fund_id": fund_id},
                                             position=[c.id for c in columns].index(fund_id) + 1)
                self._reload_columns(conn, rebuild=True)
                columns = [Column(**{**c.__dict__, "options": dict(c.options)}) for c in self.cache.columns]
            values = {column.id: change}
            if commitment is not None:
                values[fund_id] = commitment
            return self._edit_row(conn, actor, columns, investor_id, values, expected_version).as_dict(), column.id
        return self._write(work)
