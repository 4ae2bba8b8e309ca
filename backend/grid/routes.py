"""HTTP handlers for the grid: columns, rows, history, the change feed and presence, views,
formulas, automations, CSV import/export, the sample grid and the snapshot endpoints."""
from __future__ import annotations

from ..db import utc_now
from ..errors import BadRequest
from ..routing import USER, Reply, Request, Route, created, json_reply, ok, page, ref
from ..validation import Field
from . import automations, collab, column_types as ct, formula, importer, sample_data, store, view_engine, views
from .cache import shed


# --- columns and rows ---------------------------------------------------------------------------

def get_grid(req: Request) -> Reply:
    """The whole grid: columns and rows (?shape=compact for the column-wise browser form)."""
    wants_gzip = "gzip" in (req.headers.get("Accept-Encoding") or "")
    return json_reply(*req.app.grid.grid_response(req.args["shape"], req.args["include_archived"], wants_gzip))


def list_columns(req: Request) -> Reply:
    """Columns in display order (?include_archived=1 adds archived ones)."""
    return ok(req.app.grid.columns(req.args["include_archived"]))


def create_column(req: Request) -> Reply:
    """Add a typed column (a `fund` column is a fund: options vintage, target, currency)."""
    d = req.data
    return created(req.app.grid.create_column(req.principal, d["name"], d["type"], d.get("options"),
                                              d.get("frozen", False), d.get("width"), d.get("position")))


def update_column(req: Request) -> Reply:
    """Rename, move, freeze, resize a column or change its options."""
    if not req.data:
        raise BadRequest("nothing to change: send name, options, position, frozen or width")
    return ok(req.app.grid.update_column(req.principal, req.params["id"], req.data))


def archive_column(req: Request) -> Reply:
    """Archive a column (its values are kept; restore brings them back)."""
    return ok(req.app.grid.set_column_archived(req.principal, req.params["id"], True))


def restore_column(req: Request) -> Reply:
    """Bring an archived column back with its values."""
    return ok(req.app.grid.set_column_archived(req.principal, req.params["id"], False))


def create_row(req: Request) -> Reply:
    """Add an investor; `values` keys are column ids or names. `before` / `after` (a row id) put it
    just above or below that row in the grid's order (Insert above / below); otherwise it goes last."""
    return created(req.app.grid.create_row(req.principal, req.data.get("values") or {},
                                           before=req.data.get("before"), after=req.data.get("after")))


def create_rows(req: Request) -> Reply:
    """Create many investors in one transaction (a paste past the last row): all or nothing."""
    rows = req.data["rows"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and set(r) <= {"values"} for r in rows):
        raise BadRequest("'rows' must be a list of {values}", field="rows")
    return created(req.app.grid.create_rows(req.principal, [r.get("values") or {} for r in rows]))


def get_row(req: Request) -> Reply:
    """One investor row."""
    return ok(req.app.grid.get_row(req.params["id"]))


def update_row(req: Request) -> Reply:
    """Edit cells; with expected_version, a cell someone else changed since answers 409."""
    return ok(req.app.grid.update_row(req.principal, req.params["id"], req.data["values"],
                                      req.data.get("expected_version")))


def update_rows(req: Request) -> Reply:
    """Edit many rows in one transaction (paste, fill-down, undo): all or nothing."""
    return ok(req.app.grid.update_rows(req.principal, req.data["rows"]))


def archive_row(req: Request) -> Reply:
    """Archive an investor (soft delete; restore brings it back)."""
    return ok(req.app.grid.set_archived(req.principal, req.params["id"], True))


def restore_row(req: Request) -> Reply:
    """Restore an archived investor."""
    return ok(req.app.grid.set_archived(req.principal, req.params["id"], False))


def find_investors(req: Request) -> Reply:
    """Live investors whose name starts with or contains `q` (the pickers of tasks and the pipeline)."""
    return ok(req.app.grid.lookup(req.args["q"], req.args["limit"]))


def row_history(req: Request) -> Reply:
    """Cell-level history of an investor, newest first."""
    return ok(req.app.grid.history(req.params["id"], req.args["limit"]))


def grid_meta(req: Request) -> Reply:
    """What the grid understands: column types, filter operators, lists, colours, formula functions."""
    return ok({"column_types": list(ct.TYPES), "computed_types": sorted(ct.COMPUTED),
               "type_kinds": view_engine.TYPE_KINDS,
               "operators": {kind: sorted(ops) for kind, ops in view_engine.OPERATORS.items()},
               "lists": list(ct.LISTS), "choice_colors": list(ct.CHOICE_COLORS),
               "functions": list(formula.FUNCTIONS.values())})


def list_lists(req: Request) -> Reply:
    """How many live investors are on each list."""
    return ok(req.app.grid.list_counts())


# --- live collaboration ---------------------------------------------------------------------------

def grid_changes(req: Request) -> Reply:
    """Changes after ?since=N, waiting up to ?wait=S seconds for one (long-poll)."""
    since, wait = req.args["since"], req.args["wait"]
    if wait:
        req.app.signal.wait_past(since, wait)
    return ok(req.app.grid.changes_since(since))


def heartbeat(req: Request) -> Reply:
    """I am here (and maybe editing a cell); answers who else is."""
    state = req.data
    req.app.presence.heartbeat(req.principal, state["client_id"], state)
    if state.get("leaving"):
        req.app.presence.leave(req.principal, state["client_id"])
    return ok(req.app.presence.state())


def collab_state(req: Request) -> Reply:
    """Who has the grid open, which cell each is on, and who is editing."""
    return ok(req.app.presence.state())


# --- views ----------------------------------------------------------------------------------------

def list_views(req: Request) -> Reply:
    """Shared views and the caller's personal ones."""
    return ok(req.app.views.list(req.principal))


def create_view(req: Request) -> Reply:
    """Save a view (filter, sort, hidden, order, frozen; shared or personal)."""
    return created(req.app.views.create(req.principal, req.data, req.app.grid.column_lookup()))


def update_view(req: Request) -> Reply:
    """Change a view."""
    return ok(req.app.views.update(req.principal, req.params["id"], req.data, req.app.grid.column_lookup()))


def archive_view(req: Request) -> Reply:
    """Delete a view (archived)."""
    return ok(req.app.views.archive(req.principal, req.params["id"]))


def restore_view(req: Request) -> Reply:
    """Bring back an archived view."""
    return ok(req.app.views.restore(req.principal, req.params["id"]))


def view_rows(req: Request) -> Reply:
    """The rows a view selects, in its order."""
    return json_reply(req.app.views.rows_response(req.principal, req.params["id"], req.args["shape"]))


# --- formulas -------------------------------------------------------------------------------------

def evaluate_formula(req: Request) -> Reply:
    """Evaluate a formula against a record (field name -> value) or an investor (row_id); a field
    that is neither a live column nor in the record is a 422 naming it; ?preview=1 answers a
    formula error as 200 {type: "error", error, position}."""
    try:
        value, kind = req.app.grid.evaluate_formula(req.data["formula"], req.data.get("record") or {},
                                                    req.data.get("row_id"))
    except formula.FormulaError as exc:
        if not req.args["preview"]:
            raise
        # The editor previews half-typed formulas on every keystroke: not a failed request.
        return ok({"value": None, "type": "error", "error": exc.message, "position": exc.position})
    return ok({"value": value, "type": kind})


# --- automations ----------------------------------------------------------------------------------

def list_automations(req: Request) -> Reply:
    """Automation rules with their status, and how often scheduled rules run (`schedule`)."""
    scheduler = req.app.scheduler
    return ok(req.app.automations.list_rules(req.app.grid.column_lookup()),
              schedule={"interval_seconds": req.app.settings.automation_interval_seconds,
                        "last_run_at": scheduler.last_run_at if scheduler else None})


def create_automation(req: Request) -> Reply:
    """Add a rule: condition (a filter group) + action (move_to_list or set_value)."""
    return created(req.app.automations.create_rule(req.principal, req.data, req.app.grid.column_lookup()))


def update_automation(req: Request) -> Reply:
    """Change, enable or disable a rule."""
    return ok(req.app.automations.update_rule(req.principal, req.params["id"], req.data,
                                              req.app.grid.column_lookup()))


def archive_automation(req: Request) -> Reply:
    """Delete a rule (archived)."""
    return ok(req.app.automations.archive_rule(req.principal, req.params["id"]))


def restore_automation(req: Request) -> Reply:
    """Bring back an archived rule (disabled)."""
    return ok(req.app.automations.restore_rule(req.principal, req.params["id"], req.app.grid.column_lookup()))


def run_automations(req: Request) -> Reply:
    """Run the scheduled rules (or one rule) now over every investor. {"dry_run": true}: what it
    would change, writing nothing; {"token": T} from that preview: run only if it still holds."""
    autos, grid, d = req.app.automations, req.app.grid, req.data
    if d.get("dry_run"):
        return ok(autos.preview(autos.plan(grid, d.get("rule_id"))))
    return ok(autos.run_scheduled(grid, trigger="manual", actor=req.principal, rule_id=d.get("rule_id"),
                                  token=d.get("token")))


def automation_runs(req: Request) -> Reply:
    """The automation run log, newest first (?run_id= for the changes of one run)."""
    limit, offset = req.args["limit"], req.args["offset"]
    runs, total = req.app.automations.runs(limit, offset, req.args["rule_id"], req.args["run_id"])
    return ok(runs, total=total, limit=limit, offset=offset)


def automation_run_groups(req: Request) -> Reply:
    """The run log by run, newest first: who started each run, its counts, first changes, undo state."""
    limit, offset = req.args["limit"], req.args["offset"]
    groups, total = req.app.automations.run_groups(limit, offset, req.args["rule_id"])
    return ok(groups, total=total, limit=limit, offset=offset)


def undo_automation_run(req: Request) -> Reply:
    """Put back every cell a run changed, as one edit; cells changed since are left and named."""
    return ok(req.app.automations.undo_run(req.app.grid, req.principal, req.params["id"],
                                           dry_run=req.data.get("dry_run", False)))


# --- CSV import and export, sample grid, snapshot -------------------------------------------------

def _plan(req: Request):
    """The CSV read, and a one-shot planner for it: the table is freed in slices once planned."""
    table = importer.read_csv(req.body)
    key, mapping, empty = req.args["key"] or "Name", req.args["mapping"], req.args["empty"]

    def make_plan(columns, rows):
        try:
            return importer.plan_import(table, columns, rows, key, mapping, empty)
        finally:
            shed(table.rows, table.lines)
    return key, make_plan


def import_preview(req: Request) -> Reply:
    """What importing this CSV would do: column types, samples, problems by line, counts. Writes nothing."""
    grid = req.app.grid
    with store.collector_paused():
        key, make_plan = _plan(req)
        return ok(make_plan(list(grid.column_lookup().values()), grid.live_rows()).preview(key))


def import_csv(req: Request) -> Reply:
    """Import (upsert by ?key=) a CSV in one transaction: all of it, or nothing and the problems.
    Edit-triggered automation rules run on the imported investors only with ?run_rules=1."""
    with store.collector_paused():
        _, make_plan = _plan(req)
        return ok(req.app.grid.apply_import(req.principal, make_plan, run_rules=req.args["run_rules"]))


def export_csv(req: Request) -> Reply:
    """The grid, or a view (?view=ID: its columns, order, filter and sort), as CSV."""
    name, body = req.app.views.export_csv(req.principal, req.args["view"])
    return Reply(200, body, content_type="text/csv; charset=utf-8", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="venture-crm-{name}-{utc_now()[:10]}.csv"'})


def load_sample(req: Request) -> Reply:
    """Fill an empty grid with three funds and thirty sample investors."""
    return created(sample_data.load_sample(req.app.grid, req.principal))


def get_state(req: Request) -> Reply:
    """Snapshot: the whole grid and the caller's views, with the grid version."""
    return ok({**req.app.grid.snapshot(), "views": req.app.views.list(req.principal)})


def put_state(req: Request) -> Reply:
    """Snapshot write: make the live rows match; 409 if the grid moved past expected_version."""
    return ok(req.app.grid.put_state(req.principal, req.data["rows"], req.data["expected_version"]))


def export_snapshot(req: Request) -> Reply:
    """Download everything as one JSON document (rows including archived, views, rules)."""
    app = req.app
    snapshot = app.grid.snapshot(include_archived=True)
    reply = ok({"exported_at": utc_now(), "version": snapshot["version"],
                "columns": app.grid.columns(include_archived=True), "rows": snapshot["rows"],
                "views": app.views.list(req.principal),
                "automations": app.automations.list_rules(app.grid.column_lookup())})
    reply.headers["Content-Disposition"] = f'attachment; filename="venture-crm-{utc_now()[:10]}.json"'
    return reply


# --- declarations ---------------------------------------------------------------------------------

INCLUDE_ARCHIVED = {"include_archived": Field("boolean", default=False, description="1 to include archived ones")}
SHAPE = {"shape": Field(choices=("full", "compact"), default="full",
                        description="compact: column-wise rows [id, version, values in column order...]")}
IMPORT_QUERY = {"key": Field(max_length=200, default="Name", description="column matched to find existing investors"),
                "empty": Field(choices=("keep", "clear"), default="keep", description="what an empty cell does"),
                "mapping": Field("object", description='header -> {"skip": true} | {"to": column id or name} | '
                                 '{"to", "type", "options"} (a new column) | {"contact": "name"|"email"|"phone"|'
                                 '"title"|"first_name"|"last_name", "person": n} | {"contact": false}')}
# Documented shapes of bodies the domain modules validate themselves (OpenAPI components).
SCHEMAS = {
    "Values": {"type": "object", "description": "column id or name -> value", "maxProperties": 500,
               "additionalProperties": {"nullable": True}},
    "Condition": {"type": "object", "required": ["column_id", "operator"], "properties": {
        "column_id": {"type": "string"}, "operator": {"type": "string"}, "value": {"nullable": True}}},
    "FilterGroup": {"type": "object", "required": ["conditions"], "properties": {
        "op": {"type": "string", "enum": ["and", "or"]},
        "conditions": {"type": "array", "maxItems": 50, "items": {"oneOf": [ref("Condition"), ref("FilterGroup")]}}}},
    "RuleCondition": {"type": "object", "required": ["conditions"], "description": "a filter group; a rule needs "
                      "at least one condition (it would otherwise touch every investor)", "properties": {
        "op": {"type": "string", "enum": ["and", "or"]},
        "conditions": {"type": "array", "minItems": 1, "maxItems": 50,
                       "items": {"oneOf": [ref("Condition"), ref("FilterGroup")]}}}},
    "SortKey": {"type": "object", "required": ["column_id"], "properties": {
        "column_id": {"type": "string"}, "direction": {"type": "string", "enum": ["asc", "desc"]}}},
    "Action": {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": list(automations.ACTIONS)}, "list": {"type": "string", "enum": list(ct.LISTS)},
        "column_id": {"type": "string"}, "value": {"nullable": True}}},
    "RowEdit": {"type": "object", "required": ["id", "values"], "additionalProperties": False, "properties": {
        "id": {"type": "string"}, "values": ref("Values"),
        "expected_version": {"type": "integer", "minimum": 0, "nullable": True}}},
    "StateRow": {"type": "object", "additionalProperties": False, "properties": {
        "id": {"type": "string"}, "version": {"type": "integer"}, "values": ref("Values")}},
}
VALUES = Field("object", schema=ref("Values"))
NAME = {"type": "string", "minLength": 1, "pattern": r"\S"}
VIEW_BODY = {"name": Field("any", schema={**NAME, "maxLength": 120}),
             "shared": Field("any", schema={"type": "boolean"}),
             "filter": Field("any", schema=ref("FilterGroup")),
             "sort": Field("any", schema={"type": "array", "items": ref("SortKey")}),
             "hidden": Field("any", schema={"type": "array", "items": {"type": "string"}}),
             "order": Field("any", schema={"type": "array", "items": {"type": "string"}}),
             "frozen": Field("any", schema={"type": "integer", "minimum": 0, "maximum": views.MAX_FROZEN}),
             "row_height": Field("any", schema={"type": "string", "enum": list(views.ROW_HEIGHTS)})}
RULE_BODY = {"name": Field("any", schema={**NAME, "maxLength": 200}),
             "enabled": Field("any", schema={"type": "boolean"}),
             "trigger": Field("any", schema={"type": "string", "enum": list(automations.TRIGGERS)}),
             "condition": Field("any", schema=ref("RuleCondition")),
             "action": Field("any", schema=ref("Action"))}

ROUTES: list[Route] = [
    Route("GET", "/api/fundraising/grid", get_grid, USER, scope="grid:read", tag="grid",
          query={**SHAPE, **INCLUDE_ARCHIVED}),
    Route("GET", "/api/fundraising/columns", list_columns, USER, scope="grid:read", tag="grid",
          query=INCLUDE_ARCHIVED),
    Route("POST", "/api/fundraising/columns", create_column, USER, scope="grid:write", tag="grid",
          body={"name": Field(required=True, min_length=1, max_length=120),
                "type": Field(required=True, choices=ct.TYPES), "options": Field("object", nullable=True),
                "frozen": Field("boolean"), "width": Field("integer", minimum=40, maximum=2000, nullable=True),
                "position": Field("integer", minimum=0)}),
    Route("PATCH", "/api/fundraising/columns/{id}", update_column, USER, scope="grid:write", tag="grid",
          body={"name": Field(min_length=1, max_length=120), "type": Field(), "options": Field("object", nullable=True),
                "frozen": Field("boolean"), "width": Field("integer", minimum=40, maximum=2000, nullable=True),
                "position": Field("integer", minimum=0)}),
    Route("DELETE", "/api/fundraising/columns/{id}", archive_column, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/columns/{id}/restore", restore_column, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/rows", create_row, USER, scope="grid:write", tag="grid",
          body={"values": VALUES,
                "before": Field(min_length=1, max_length=64, nullable=True, description="insert just above this row"),
                "after": Field(min_length=1, max_length=64, nullable=True, description="insert just below this row")}),
    Route("POST", "/api/fundraising/sample", load_sample, USER, tag="grid"),
    Route("POST", "/api/fundraising/import/preview", import_preview, USER, scope="grid:write", tag="import",
          file="csv", query=IMPORT_QUERY),
    Route("POST", "/api/fundraising/import", import_csv, USER, scope="grid:write", tag="import", file="csv",
          query={**IMPORT_QUERY, "run_rules": Field("boolean", default=False, description=(
              "1: edit-triggered automation rules run on the imported investors (they may move lists)"))}),
    Route("GET", "/api/fundraising/export.csv", export_csv, USER, scope="grid:read", tag="import",
          query={"view": Field(max_length=64, description="a view id: its columns, order, filter and sort")}),
    Route("POST", "/api/fundraising/rows/bulk", create_rows, USER, scope="grid:write", tag="grid",
          body={"rows": Field("any", required=True, schema={"type": "array", "minItems": 1, "maxItems": 5000, "items": {
              "type": "object", "additionalProperties": False, "properties": {"values": ref("Values")}}})}),
    Route("PATCH", "/api/fundraising/rows", update_rows, USER, scope="grid:write", tag="grid",
          body={"rows": Field("any", required=True, schema={"type": "array", "minItems": 1, "maxItems": 5000,
                                                            "items": ref("RowEdit")})}),
    Route("GET", "/api/fundraising/rows/{id}", get_row, USER, scope="grid:read", tag="grid"),
    Route("PATCH", "/api/fundraising/rows/{id}", update_row, USER, scope="grid:write", tag="grid",
          body={"values": Field("object", required=True, schema=ref("Values")),
                "expected_version": Field("integer", minimum=0, nullable=True)}),
    Route("DELETE", "/api/fundraising/rows/{id}", archive_row, USER, scope="grid:write", tag="grid"),
    Route("POST", "/api/fundraising/rows/{id}/restore", restore_row, USER, scope="grid:write", tag="grid"),
    Route("GET", "/api/fundraising/investors", find_investors, USER, scope="grid:read", tag="grid", query={
        "q": Field(max_length=200, description="part of the investor's name; empty: the most recently changed"),
        "limit": Field("integer", minimum=1, maximum=50, default=12)}),
    Route("GET", "/api/fundraising/rows/{id}/history", row_history, USER, scope="grid:read", tag="grid",
          query={"limit": Field("integer", minimum=1, maximum=5000, default=500)}),
    Route("GET", "/api/fundraising/changes", grid_changes, USER, scope="grid:read", tag="collaboration",
          query={"since": Field("integer", minimum=0, maximum=2 ** 62, default=0, description="a grid version"),
                 "wait": Field("integer", minimum=0, maximum=collab.MAX_WAIT_SECONDS, default=0,
                               description="seconds to wait for a change (long-poll)")}),
    Route("POST", "/api/fundraising/collab/heartbeat", heartbeat, USER, tag="collaboration",
          body={"client_id": Field(required=True, min_length=1, max_length=100), "view_id": Field(nullable=True),
                "row_id": Field(nullable=True), "column_id": Field(nullable=True), "editing": Field("boolean"),
                "leaving": Field("boolean")}),
    Route("GET", "/api/fundraising/collab/state", collab_state, USER, tag="collaboration"),
    Route("GET", "/api/fundraising/views", list_views, USER, scope="grid:read", tag="views"),
    Route("POST", "/api/fundraising/views", create_view, USER, tag="views", body=VIEW_BODY),
    Route("PATCH", "/api/fundraising/views/{id}", update_view, USER, tag="views", body=VIEW_BODY),
    Route("DELETE", "/api/fundraising/views/{id}", archive_view, USER, tag="views"),
    Route("POST", "/api/fundraising/views/{id}/restore", restore_view, USER, tag="views"),
    Route("GET", "/api/fundraising/views/{id}/rows", view_rows, USER, scope="grid:read", tag="views", query=SHAPE),
    Route("GET", "/api/fundraising/meta", grid_meta, USER, scope="grid:read", tag="grid"),
    Route("POST", "/api/formula/evaluate", evaluate_formula, USER, scope="grid:read", tag="formulas",
          query={"preview": Field("boolean", default=False, description="1: a formula error is a 200 answer")},
          # No length limit here: the formula engine bounds length and nesting itself (422).
          body={"formula": Field(required=True), "record": Field("object", nullable=True,
                                                                 description="field name -> value"),
                "row_id": Field(nullable=True, max_length=64)}),
    Route("GET", "/api/fundraising/lists", list_lists, USER, scope="grid:read", tag="automations"),
    Route("GET", "/api/fundraising/automations", list_automations, USER, tag="automations"),
    Route("POST", "/api/fundraising/automations", create_automation, USER, tag="automations", body=RULE_BODY),
    Route("PATCH", "/api/fundraising/automations/{id}", update_automation, USER, tag="automations", body=RULE_BODY),
    Route("DELETE", "/api/fundraising/automations/{id}", archive_automation, USER, tag="automations"),
    Route("POST", "/api/fundraising/automations/{id}/restore", restore_automation, USER, tag="automations"),
    Route("POST", "/api/fundraising/automations/run", run_automations, USER, tag="automations",
          body={"dry_run": Field("boolean", description="true: answer what the run would change; write nothing"),
                "rule_id": Field(max_length=64, description="run (or preview) this one rule, on or off"),
                "token": Field(max_length=64, description="a preview's token: 409 if the run would now differ")}),
    Route("GET", "/api/fundraising/automation-runs", automation_runs, USER, tag="automations",
          query={**page(), "rule_id": Field(max_length=64), "run_id": Field(max_length=64)}),
    Route("GET", "/api/fundraising/automations/runs", automation_run_groups, USER, tag="automations",
          query={**page(), "rule_id": Field(max_length=64)}),
    Route("POST", "/api/fundraising/automations/runs/{id}/undo", undo_automation_run, USER, tag="automations",
          body={"dry_run": Field("boolean", description="true: answer what undo would put back; write nothing")}),
    Route("GET", "/api/fundraising/state", get_state, USER, scope="grid:read", tag="snapshot"),
    Route("PUT", "/api/fundraising/state", put_state, USER, scope="grid:write", tag="snapshot",
          body={"expected_version": Field("integer", required=True, minimum=0),
                "rows": Field("any", required=True, schema={"type": "array", "items": ref("StateRow")})}),
    Route("GET", "/api/fundraising/export", export_snapshot, USER, tag="snapshot"),
]
