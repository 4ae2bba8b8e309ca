"""`app.pipeline`: the board of a fund (cards by stage with their weighted value, read from the
published grid) and the writes behind it (start, edit, move, clear an opportunity), each one
grid edit through `Grid.set_opportunity`."""
from __future__ import annotations

from typing import Any

from ..db import Database
from ..errors import BadRequest, Conflict, NotFound
from ..grid import opportunities as opp
from ..grid.store import Grid
from ..principal import Principal

CARD_FIELDS = ("stage", "expected_amount", "probability", "owner", "close_date")


def _builtin(columns, field: str) -> str | None:
    """The id of the built-in column holding `field` (name, list), if the grid has it."""
    return next((c.id for c in columns if c.field == field), None)


class Pipeline:
    def __init__(self, db: Database, grid: Grid):
        self.db, self.grid = db, grid

    # --- reads -----------------------------------------------------------------------------------

    def _team(self) -> dict[str, str]:
        with self.db.read() as conn:
            return {uid: name for uid, name in conn.execute("SELECT id, username FROM users")}

    def funds(self) -> list[dict]:
        view = self.grid.view()
        followers = opp.columns_by_fund(view.columns)
        return [{"id": c.id, "name": c.name, "target": c.options.get("target"), "currency": c.options.get("currency", "USD"),
                 "column_id": followers.get(c.id)} for c in view.columns if c.type == "fund"]

    def _card(self, row, fund, column_id: str, name_column: str | None, list_column: str | None,
              team: dict[str, str]) -> dict:
        value = row.values[column_id]
        committed = row.values.get(fund["id"])
        return {"id": value["id"], "investor_id": row.id,
                "investor_name": (row.values.get(name_column) if name_column else None) or "Untitled investor",
                "fund_id": fund["id"], "stage": value["stage"], "expected_amount": value.get("expected_amount"),
                "probability": opp.probability(value), "probability_is_default": value.get("probability") is None,
                "weighted": opp.weighted(value), "owner": value.get("owner"),
                "owner_name": team.get(value.get("owner")), "close_date": value.get("close_date"),
                "stage_since": value.get("stage_since"), "committed": committed,
                "list": row.values.get(list_column) if list_column else None, "row_version": row.version,
                "column_id": column_id}

    def board(self, fund_id: str | None = None) -> dict:
        """The stages, the fund's cards (live investors only) and each stage's totals."""
        funds = self.funds()
        if fund_id:
            fund = next((f for f in funds if f["id"] == fund_id), None)
            if fund is None:
                raise NotFound(f"fund {fund_id} is not a live fund column")
        else:  # the first fund with a board, else the first fund
            fund = next((f for f in funds if f["column_id"]), funds[0] if funds else None)
        cards: list[dict] = []
        committed = 0
        if fund:
            view = self.grid.view()
            list_column = _builtin(view.columns, "list")
            with view.lock:
                rows = [view.rows[rid] for rid in view.order if not view.rows[rid].archived_at]
            # What the fund has in hand, as the grid's footer and the dashboard count it.
            committed = sum(row.values.get(fund["id"]) or 0 for row in rows
                            if (row.values.get(list_column) if list_column else None) != "graveyard")
            if fund["column_id"]:
                team = self._team()
                name_column = _builtin(view.columns, "name")
                column_id = fund["column_id"]
                cards = [self._card(row, fund, column_id, name_column, list_column, team) for row in rows
                         if row.values.get(column_id)]
        totals = []
        for stage in opp.STAGES:
            at = [c for c in cards if c["stage"] == stage]
            totals.append({"stage": stage, "color": opp.STAGE_COLORS[stage], "count": len(at),
                           "expected": sum(c["expected_amount"] or 0 for c in at),
                           "weighted": sum(c["weighted"] for c in at),
                           "default_probability": opp.DEFAULT_PROBABILITY[stage]})
        open_cards = [c for c in cards if c["stage"] in opp.OPEN_STAGES]
        return {"stages": list(opp.STAGES), "fund": fund and {**fund, "committed": committed}, "funds": funds,
                "cards": cards, "totals": totals,
                "open_weighted": sum(c["weighted"] for c in open_cards),
                "open_expected": sum(c["expected_amount"] or 0 for c in open_cards),
                "version": self.grid.version()}

    def card(self, opportunity_id: str, located: tuple[str, str] | None = None) -> dict:
        investor_id, fund_id = located or self._locate(opportunity_id)
        view = self.grid.view()
        fund = next(f for f in self.funds() if f["id"] == fund_id)
        row = view.rows[investor_id]
        return self._card(row, fund, fund["column_id"], _builtin(view.columns, "name"), _builtin(view.columns, "list"),
                          self._team())

    def _locate(self, opportunity_id: str) -> tuple[str, str]:
        with self.db.read() as conn:
            found = opp.find(conn, opportunity_id)
        if found is None:
            raise NotFound(f"opportunity {opportunity_id} does not exist or was cleared")
        investor_id, fund_id = found
        fund = next((f for f in self.funds() if f["id"] == fund_id), None)
        row = self.grid.view().rows.get(investor_id)
        if fund is None or not fund["column_id"] or row is None or row.archived_at:
            raise NotFound(f"opportunity {opportunity_id} is not on a board (its investor, fund or pipeline column"
                           " is archived)")
        return investor_id, fund_id

    # --- writes ----------------------------------------------------------------------------------

    @staticmethod
    def _change(body: dict) -> dict:
        change = {k: body[k] for k in CARD_FIELDS if k in body}
        if "stage" in change:  # named on its own so the error says 'stage', not the column
            change["stage"] = opp.stage_of(change["stage"])
        return change

    def _commitment(self, body: dict, change: dict, investor_id: str, fund_id: str) -> Any:
        """What goes into the fund cell with this edit: an amount given, or (true) the expected one."""
        wanted = body.get("commitment")
        if wanted is None or wanted is False:
            return None
        if wanted is True:
            expected = change.get("expected_amount")
            if expected is None:
                current = self.grid.view().rows[investor_id].values
                column_id = next((f["column_id"] for f in self.funds() if f["id"] == fund_id), None)
                expected = (current.get(column_id) or {}).get("expected_amount") if column_id else None
            if expected is None:
                raise BadRequest("commitment: true writes the expected amount, and this opportunity has none;"
                                 " send the amount instead", field="commitment")
            return expected
        return wanted

    def create(self, actor: Principal, body: dict) -> dict:
        """Start an opportunity for an investor in a fund (the fund's pipeline column is made on first use)."""
        investor_id, fund_id = body["investor_id"], body["fund_id"]
        row = self.grid.view().rows.get(investor_id)
        if row is None:
            raise NotFound(f"investor {investor_id} does not exist")
        column_id = opp.columns_by_fund(self.grid.view().columns).get(fund_id)
        if column_id and row.values.get(column_id):
            raise Conflict("this investor is already in the fund's pipeline", code="already_in_pipeline",
                           opportunity_id=row.values[column_id]["id"])
        change = {"stage": "Intro", **self._change(body)}
        commitment = self._commitment(body, change, investor_id, fund_id)
        _, column_id = self.grid.set_opportunity(actor, investor_id, fund_id, change, commitment=commitment)
        value = self.grid.view().rows[investor_id].values.get(column_id)
        return self.card(value["id"])

    def update(self, actor: Principal, opportunity_id: str, body: dict) -> dict:
        """Move or edit a card: the stage and fields named, with the commitment when asked."""
        investor_id, fund_id = self._locate(opportunity_id)
        change = self._change(body)
        commitment = self._commitment(body, change, investor_id, fund_id)
        if not change and commitment is None:
            raise BadRequest(f"nothing to change: send one of {', '.join(CARD_FIELDS)} or commitment")
        self.grid.set_opportunity(actor, investor_id, fund_id, change, body.get("expected_version"), commitment)
        return self.card(opportunity_id, (investor_id, fund_id))

    def clear(self, actor: Principal, opportunity_id: str) -> dict:
        """Take a card off the board: the grid cell is cleared, the record archived (kept as history)."""
        located = self._locate(opportunity_id)
        card = self.card(opportunity_id, located)
        self.grid.set_opportunity(actor, *located, None)
        return {**card, "archived": True}
