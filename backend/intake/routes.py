"""HTTP handlers for intake from chat (the Matrix bot's service token calls them; the admin's
Settings -> Intake reads the history)."""
from __future__ import annotations

from ..interactions import log as interaction_log
from ..routing import ADMIN, USER, Reply, Request, Route, created, ok, page
from ..validation import Field

REF = Field(min_length=1, max_length=300, nullable=True,
            description="the chat event that asked: a ref already committed returns its first result (200)")
SOURCE = Field(choices=interaction_log.SOURCES, description="provenance shown in the panel and the activity feed")
TASK = Field("any", nullable=True, description="a follow-up task made with the commit (source intake, ref the chat event)",
             schema={"type": "object", "additionalProperties": False, "required": ["title"], "properties": {
                 "title": {"type": "string", "minLength": 1, "maxLength": 300},
                 "due": {"type": "string", "nullable": True, "maxLength": 100, "description": "YYYY-MM-DD or typed"},
                 "in_days": {"type": "integer", "nullable": True, "minimum": 0, "maximum": 3650},
                 "owner_matrix": {"type": "string", "nullable": True, "maxLength": 255,
                                  "description": "the note's author: their CRM account owns the task"}}})
PERSON = {"type": "object", "additionalProperties": False, "properties": {
    k: {"type": "string", "nullable": True, "maxLength": 500} for k in ("name", "email", "phone", "title")}}


def match(req: Request) -> Reply:
    """Existing investors a name and/or email could be, best first (at most five, score 0..1)."""
    return ok(req.app.intake.match(req.args["q"], req.args["email"]))


def vocabulary(req: Request) -> Reply:
    """The grid's words for reading a note: the name column, funds, statuses, settable columns."""
    return ok(req.app.intake.vocabulary())


def history(req: Request) -> Reply:
    """What chat intake committed, newest first (for Settings -> Intake)."""
    limit, offset = req.args["limit"], req.args["offset"]
    items, total = req.app.intake.history(limit, offset)
    return ok(items, total=total, limit=limit, offset=offset)


def create_investor(req: Request) -> Reply:
    """A new investor from chat, with its people, values and note, through the grid's write path."""
    row, made = req.app.intake.create_investor(req.principal, req.data)
    return created(row) if made else ok(row)


def log_communication(req: Request) -> Reply:
    """A note, meeting or call on an existing investor from chat, with its provenance; with people
    to add and values to set, in the same transaction."""
    entry, made = req.app.intake.log_communication(req.principal, req.data)
    return created(entry) if made else ok(entry)


ROUTES: list[Route] = [
    Route("GET", "/api/intake/match", match, USER, scope="intake:match", tag="intake", query={
        "q": Field(max_length=200, description="a name: an organisation or a person"),
        "email": Field(max_length=254, description="an email address from the note")}),
    Route("GET", "/api/intake/vocabulary", vocabulary, USER, scope="intake:match", tag="intake"),
    Route("GET", "/api/intake/history", history, ADMIN, tag="intake", query=page(50, 200)),
    Route("POST", "/api/intake/investor", create_investor, USER, scope="intake:write", tag="intake", body={
        "name": Field(required=True, min_length=1, max_length=200),
        "people": Field("any", nullable=True, schema={"type": "array", "maxItems": 50, "items": {"type": "object"}}),
        "values": Field("object", nullable=True), "note": Field(max_length=100_000, nullable=True),
        "source": SOURCE, "ref": REF, "task": TASK}),
    Route("POST", "/api/fundraising/log-communication", log_communication, USER, scope="intake:write",
          tag="intake", body={
              "investor_id": Field(required=True, min_length=1, max_length=64), "kind": Field(choices=interaction_log.KINDS),
              "summary": Field(required=True, min_length=1, max_length=500), "body": Field(max_length=100_000, nullable=True),
              "occurred_at": Field(max_length=40, nullable=True), "source": SOURCE, "ref": REF,
              "people": Field("any", nullable=True, description="people to add to the investor (by email, else name)",
                              schema={"type": "array", "maxItems": 20, "items": PERSON}),
              "values": Field("object", nullable=True, description="{column name or id: value}: a normal grid edit"),
              "task": TASK}),
]
