"""HTTP handlers for the pipeline board: read a fund's board, start, move/edit and clear opportunities."""
from __future__ import annotations

from ..grid.opportunities import STAGES
from ..routing import USER, Reply, Request, Route, created, ok
from ..validation import Field

AMOUNT = Field("any", nullable=True, schema={"oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
               description="an amount (2500000, \"2.5m\", \"$250k\"); null clears it")
CARD = {
    "stage": Field(max_length=40, description="one of: " + ", ".join(STAGES)),
    "expected_amount": AMOUNT,
    "probability": Field("any", nullable=True, schema={"oneOf": [{"type": "number"}, {"type": "string"}]},
                         description="0-1, or a percentage (40, \"40%\"); null: the stage's default"),
    "owner": Field(max_length=64, nullable=True, description="a team member's user id"),
    "close_date": Field(max_length=40, nullable=True, description="expected close: YYYY-MM-DD or typed ('+30d', '6/30')"),
    "commitment": Field("any", nullable=True, schema={"oneOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}]},
                        description="also write the fund cell: an amount, or true for the expected amount"),
}


def board(req: Request) -> Reply:
    """A fund's board: the stages, its cards (live investors) and each stage's count, expected and weighted value."""
    return ok(req.app.pipeline.board(req.args.get("fund")))


def create_opportunity(req: Request) -> Reply:
    """Put an investor in a fund's pipeline (Intro unless a stage is given)."""
    return created(req.app.pipeline.create(req.principal, dict(req.data)))


def update_opportunity(req: Request) -> Reply:
    """Move a card to another stage or edit its fields (a grid edit of the fund's pipeline cell)."""
    return ok(req.app.pipeline.update(req.principal, req.params["id"], dict(req.data)))


def clear_opportunity(req: Request) -> Reply:
    """Take an opportunity off the board (the record is archived, never deleted)."""
    return ok(req.app.pipeline.clear(req.principal, req.params["id"]))


ROUTES: list[Route] = [
    Route("GET", "/api/pipeline", board, USER, scope="grid:read", tag="pipeline",
          query={"fund": Field(max_length=64, nullable=True, description="a fund column id; default: the first fund with a board")}),
    Route("POST", "/api/pipeline/opportunities", create_opportunity, USER, scope="grid:write", tag="pipeline", body={
        "investor_id": Field(required=True, max_length=64), "fund_id": Field(required=True, max_length=64), **CARD}),
    Route("PATCH", "/api/pipeline/opportunities/{id}", update_opportunity, USER, scope="grid:write", tag="pipeline",
          body={**CARD, "expected_version": Field("integer", minimum=1, nullable=True,
                                                  description="the investor row's version the card was read at")}),
    Route("DELETE", "/api/pipeline/opportunities/{id}", clear_opportunity, USER, scope="grid:write", tag="pipeline"),
]
