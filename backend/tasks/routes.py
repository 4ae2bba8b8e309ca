"""HTTP handlers for tasks: the team's follow-ups and reminders (`GET|POST /api/tasks`,
`PATCH|DELETE /api/tasks/{id}`, restore). Bots read with `grid:read`, add with `intake:write` and
change with `grid:write`."""
from __future__ import annotations

from ..routing import USER, Reply, Request, Route, created, ok, page
from ..validation import Field
from .service import DUES, IN_DAYS_MAX, NOTES_MAX, STATUSES, TITLE_MAX

ID = Field(min_length=1, max_length=64, nullable=True)
DUE = Field(max_length=100, nullable=True,
            description="YYYY-MM-DD, or typed: today, tomorrow, +7d, in 3 days, next week, friday, 6/14; null: no date")
IN_DAYS = Field("integer", minimum=0, maximum=IN_DAYS_MAX, nullable=True,
                description="follow up in N days (instead of due)")
OWNER = Field(min_length=1, max_length=64, nullable=True,
              description="a user id, or 'me'; null: the team's (no owner). Default: the caller")


def list_tasks(req: Request) -> Reply:
    """Tasks, open before done, overdue first then by due day; with today's date and the caller's counts."""
    a = req.args
    items, total, extra = req.app.tasks.list(req.principal, a["owner"], a["investor_id"], a["status"], a["due"],
                                             a["limit"], a["offset"])
    return ok(items, total=total, limit=a["limit"], offset=a["offset"], **extra)


def create_task(req: Request) -> Reply:
    """A task (a follow-up or a reminder), owned by the caller unless `owner` says otherwise."""
    return created(req.app.tasks.create(req.principal, req.data))


def update_task(req: Request) -> Reply:
    """Change a task's title, notes, due day, owner, investor or person, or tick it done (or not)."""
    return ok(req.app.tasks.update(req.principal, req.params["id"], req.data))


def archive_task(req: Request) -> Reply:
    """Archive a task (soft delete; restore brings it back)."""
    return ok(req.app.tasks.archive(req.principal, req.params["id"]))


def restore_task(req: Request) -> Reply:
    """Bring an archived task back."""
    return ok(req.app.tasks.restore(req.principal, req.params["id"]))


BODY = {"title": Field(min_length=1, max_length=TITLE_MAX), "notes": Field(max_length=NOTES_MAX, nullable=True),
        "investor_id": ID, "contact_id": ID, "due": DUE, "in_days": IN_DAYS, "owner": OWNER}

ROUTES: list[Route] = [
    Route("GET", "/api/tasks", list_tasks, USER, scope="grid:read", tag="tasks", query={
        "owner": Field(max_length=64, description="me (a person's default), all (a bot's default), none, or a user id"),
        "investor_id": Field(max_length=64, description="one investor's tasks"),
        "status": Field(choices=STATUSES, default="open"),
        "due": Field(choices=DUES, description="overdue, today, week (today and the next 7 days) or none (no date)"),
        **page(200, 1000)}),
    Route("POST", "/api/tasks", create_task, USER, scope="intake:write", tag="tasks",
          body={**BODY, "title": Field(required=True, min_length=1, max_length=TITLE_MAX)}),
    Route("PATCH", "/api/tasks/{id}", update_task, USER, scope="grid:write", tag="tasks",
          body={**BODY, "done": Field("boolean")}),
    Route("DELETE", "/api/tasks/{id}", archive_task, USER, scope="grid:write", tag="tasks"),
    Route("POST", "/api/tasks/{id}/restore", restore_task, USER, scope="grid:write", tag="tasks"),
]
