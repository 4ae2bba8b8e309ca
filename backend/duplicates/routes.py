"""HTTP handlers for duplicates: the likely pairs (paged, or one investor's for the panel's hint),
dismissing a pair, and merging two investors: preview, merge, unmerge (the grid's write path)."""
from __future__ import annotations

from ..routing import USER, Reply, Request, Route, ok, page
from ..validation import Field

ID = Field(required=True, min_length=1, max_length=64)
CHOICES = Field("any", nullable=True, description="{column id: 'a' (the merged row's value), 'b' (the survivor's),"
                " or 'both' for long text}; unnamed columns take the preview's default",
                schema={"type": "object", "additionalProperties": {"type": "string", "enum": ["a", "b", "both"]}})
VERSIONS = Field("any", nullable=True, description="{row id: version} as the preview showed them: a row changed"
                 " since answers 409 naming who changed what",
                 schema={"type": "object", "additionalProperties": {"type": "integer"}})


def list_duplicates(req: Request) -> Reply:
    """Likely duplicate pairs {a, b, score, reasons}, best first (dismissed pairs left out). While
    the grid is still being compared as a whole (after a start or a restore on a large grid),
    `ready` is false and `progress` {done, total} says how far; the pairs are then those found before."""
    limit, offset = req.args["limit"], req.args["offset"]
    items, total, progress = req.app.duplicates.list(req.args["investor_id"], limit, offset)
    return ok(items, total=total, limit=limit, offset=offset, ready=progress is None, progress=progress)


def dismiss(req: Request) -> Reply:
    """Say two investors are not the same: the pair stops coming back."""
    return ok(req.app.duplicates.dismiss(req.principal, req.data["a"], req.data["b"]))


def undismiss(req: Request) -> Reply:
    """Let a dismissed pair come back (its dismissal is archived)."""
    return ok(req.app.duplicates.undismiss(req.principal, req.data["a"], req.data["b"]))


def merge_preview(req: Request) -> Reply:
    """What merging this investor into `into` would do: both rows and versions, each field with
    its default choice and conflicts, the people who move, the touches that move."""
    return ok(req.app.duplicates.preview(req.params["id"], req.data["into"]))


def merge(req: Request) -> Reply:
    """Merge this investor into `into`: the surviving row (with `merge_id`); this one is archived
    with a pointer to it."""
    d = req.data
    return ok(req.app.duplicates.merge(req.principal, req.params["id"], d["into"], d.get("choices"),
                                       d.get("expected_versions")))


def unmerge(req: Request) -> Reply:
    """Undo the merge of this (merged) investor: both rows back, and the survivor's cells changed
    since the merge, which keep their value."""
    return ok(req.app.duplicates.unmerge(req.principal, req.params["id"]))


ROUTES: list[Route] = [
    Route("GET", "/api/fundraising/duplicates", list_duplicates, USER, scope="grid:read", tag="duplicates", query={
        **page(50, 500), "investor_id": Field(max_length=64, description="only this investor's pairs")}),
    Route("POST", "/api/fundraising/duplicates/dismiss", dismiss, USER, scope="grid:write", tag="duplicates",
          body={"a": ID, "b": ID}),
    Route("POST", "/api/fundraising/duplicates/undismiss", undismiss, USER, scope="grid:write", tag="duplicates",
          body={"a": ID, "b": ID}),
    Route("POST", "/api/fundraising/rows/{id}/merge-preview", merge_preview, USER, scope="grid:read",
          tag="duplicates", body={"into": ID}),
    Route("POST", "/api/fundraising/rows/{id}/merge", merge, USER, scope="grid:write", tag="duplicates",
          body={"into": ID, "choices": CHOICES, "expected_versions": VERSIONS}),
    Route("POST", "/api/fundraising/rows/{id}/unmerge", unmerge, USER, scope="grid:write", tag="duplicates"),
]
