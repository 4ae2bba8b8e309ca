"""HTTP handlers for the dashboard: every figure in one read, and each figure as CSV."""
from __future__ import annotations

from ..db import utc_now
from ..routing import USER, Reply, Request, Route, ok
from ..validation import Field

FUND = {"fund": Field(max_length=64, description="a fund column id: narrow the pipeline figures to that fund")}


def dashboard(req: Request) -> Reply:
    """Committed per fund against target (graveyard excluded), pipeline by stage, lists and status, activity, tasks."""
    return ok(req.app.dashboard.summary(req.args.get("fund")))


def figure_csv(req: Request) -> Reply:
    """One dashboard figure as CSV: funds, pipeline, lists, status, activity, top_investors or strength."""
    figure = req.params["figure"]
    body = req.app.dashboard.figure_csv(figure, req.args.get("fund"))
    return Reply(200, body, content_type="text/csv; charset=utf-8", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="venture-crm-dashboard-{figure}-{utc_now()[:10]}.csv"'})


ROUTES: list[Route] = [
    Route("GET", "/api/dashboard", dashboard, USER, scope="grid:read", tag="dashboard", query=FUND),
    Route("GET", "/api/dashboard/figures/{figure}.csv", figure_csv, USER, scope="grid:read", tag="dashboard",
          query=FUND),
]
