"""The MCP tools and resources: what an assistant holding a service token may ask of the CRM, each
with its JSON Schema, the service-token scope it needs, and its call into the app's services
(`app.search`, `app.grid`, `app.views`, `app.questions`, `app.interactions`, `app.pipeline`).

Reads need `grid:read`; captured mail (search hits of type email, plans over the `emails` entity)
needs `search:read` or `email:read` as well, as it does over the REST API. The one write,
`log_note`, needs `intake:write` and appends to the interaction log with source `mcp` inside the
transaction `protocol.McpServer` opens for it. No tool sends anything, to anyone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import NotFound
from ..interactions import log
from ..principal import Principal
from ..search.chunking import TYPES as SEARCH_TYPES

READ, WRITE = "grid:read", "intake:write"
MAIL_SCOPES = ("search:read", "email:read")  # either lets a token see captured mail, as over REST
SOURCE = "mcp"                               # the interaction log's provenance for notes logged here
NOTE_KINDS = ("note", "call", "meeting")
BODY_SHOWN = 1000                            # characters of a touch's body get_investor returns


class ToolError(Exception):
    """A call the tool refused or could not answer, in words the assistant can act on (an isError
    result, not a protocol error)."""


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    scope: str
    schema: dict
    run: Callable  # (tools, principal, arguments) -> dict; writes: (tools, conn, principal, arguments)
    writes: bool = False

    def listing(self) -> dict:
        return {"name": self.name, "title": self.title,
                "description": f"{self.description} (needs the service-token scope '{self.scope}')",
                "inputSchema": self.schema,
                "annotations": {"title": self.title, "readOnlyHint": not self.writes, "destructiveHint": False,
                                "idempotentHint": not self.writes, "openWorldHint": False}}


# --- arguments: the tool's JSON Schema, checked (a subset: what the schemas below use) ---------------

def check_arguments(schema: dict, args: dict) -> dict:
    """The arguments with defaults filled in, or a ToolError naming the argument that is wrong."""
    props = schema.get("properties", {})
    unknown = sorted(set(args) - set(props))
    if unknown:
        raise ToolError(f"unknown argument(s): {', '.join(unknown)}; this tool takes: {', '.join(props) or 'none'}")
    for name in schema.get("required", ()):
        if args.get(name) is None:
            raise ToolError(f"argument '{name}' is required")
    return {name: _check(name, spec, args.get(name, spec.get("default"))) for name, spec in props.items()}


def _check(name: str, spec: dict, value: Any) -> Any:
    if value is None:
        return None
    kind = spec.get("type")
    if kind == "string":
        if not isinstance(value, str):
            raise ToolError(f"argument '{name}' must be a string")
        if len(value.strip()) < spec.get("minLength", 0):
            raise ToolError(f"argument '{name}' must not be empty")
        if len(value) > spec.get("maxLength", 10 ** 9):
            raise ToolError(f"argument '{name}' is longer than {spec['maxLength']} characters")
    elif kind == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ToolError(f"argument '{name}' must be a whole number")
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ToolError(f"argument '{name}' must be between {low} and {high}")
    elif kind == "object" and not isinstance(value, dict):
        raise ToolError(f"argument '{name}' must be a JSON object")
    if "enum" in spec and value not in spec["enum"]:
        raise ToolError(f"argument '{name}' must be one of: {', '.join(map(str, spec['enum']))}")
    return value


def _schema(properties: dict, required: tuple = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _person(p: dict) -> dict:
    return {k: p[k] for k in ("name", "email", "phone", "title") if p.get(k)}


def _opportunity(v: dict) -> dict:
    return {k: v.get(k) for k in ("stage", "expected_amount", "probability", "close_date", "owner", "stage_since")
            if v.get(k) is not None}


def _shown(column: dict, value: Any) -> Any:
    """A cell as an assistant reads it: people without their ids, an opportunity without its own."""
    if column["type"] == "contacts" and isinstance(value, list):
        return [_person(p) for p in value if isinstance(p, dict)]
    if column["type"] == "pipeline" and isinstance(value, dict):
        return _opportunity(value)
    return value


def _choices(options: dict) -> list[str]:
    return [c["name"] if isinstance(c, dict) else c for c in options.get("choices") or []]


def _mentions_mail(plan: Any) -> bool:
    """Does a plan name the emails entity (as its entity, a relation or a computed `of`)?"""
    if isinstance(plan, str):
        return plan == "emails" or plan.startswith("emails.")
    if isinstance(plan, dict):
        return any(_mentions_mail(v) for v in plan.values())
    if isinstance(plan, list):
        return any(_mentions_mail(v) for v in plan)
    return False


class Tools:
    """The tools and resources over the app's services, for `protocol.McpServer`."""

    def __init__(self, grid, views, search, questions, interactions, pipeline):
        self.grid, self.views, self.search_service = grid, views, search
        self.questions, self.interactions, self.pipeline = questions, interactions, pipeline

    # -- the catalogue ----------------------------------------------------------------------------
    @staticmethod
    def find(name: str) -> Tool | None:
        return BY_NAME.get(name)

    @staticmethod
    def listed(principal: Principal) -> list[dict]:
        """The tools this token's scopes let it call (the others would only be refused)."""
        return [t.listing() for t in TOOLS if t.scope in principal.scopes]

    @staticmethod
    def resources(principal: Principal) -> list[dict]:
        return [dict(r) for r in RESOURCES] if READ in principal.scopes else []

    def read_resource(self, uri: str) -> dict | None:
        """{"contents": [...]} for a known resource, None for an unknown one."""
        if uri == "crm://schema":
            data = self._grid_schema()
        elif uri == "crm://query-schema":
            data = self.questions.schema()
        else:
            return None
        return {"contents": [{"uri": uri, "mimeType": "application/json",
                              "text": json.dumps(data, ensure_ascii=False, default=str)}]}

    def _grid_schema(self) -> dict:
        columns = self.grid.columns()
        board = self.pipeline.board()
        options = {c["id"]: c["options"] for c in columns}
        shown = []
        for c in columns:
            entry = {"id": c["id"], "name": c["name"], "type": c["type"]}
            if c["primary"]:
                entry["primary"] = True
            if c["type"] in ("single_select", "multi_select"):
                entry["choices"] = _choices(c["options"])
            if c["type"] == "formula":
                entry["formula"] = c["options"].get("formula")
            if c["type"] == "pipeline":
                entry["fund_id"] = c["options"].get("fund_id")
            shown.append(entry)
        return {"columns": shown,
                "funds": [{"id": f["id"], "name": f["name"], "vintage": options.get(f["id"], {}).get("vintage"),
                           "target": f["target"], "currency": f["currency"], "has_pipeline": bool(f["column_id"])}
                          for f in board["funds"]],
                "lists": self.grid.list_counts(),
                "pipeline_stages": [{"stage": t["stage"], "default_probability": t["default_probability"]}
                                    for t in board["totals"]],
                "note_kinds": list(NOTE_KINDS), "search_types": list(SEARCH_TYPES)}

    # -- reads ------------------------------------------------------------------------------------
    def search(self, principal: Principal, args: dict) -> dict:
        mail = bool(set(MAIL_SCOPES) & principal.scopes)
        if args["type"] == "email" and not mail:
            raise ToolError("mail hits need the scope 'search:read' (or 'email:read') as well as 'grid:read'")
        limit = args["limit"]
        found = self.search_service.search(args["query"], args["investor_id"], args["type"], args["from"], args["to"],
                                           limit if mail else min(50, limit * 2 + 5))
        hits = [h for h in found["data"] if mail or h["type"] != "email"]
        results = [{k: h.get(k) for k in ("type", "id", "investor", "title", "snippet", "date", "score")}
                   for h in hits[:limit]]
        out = {"mode": found["mode"], "results": results}
        if not mail and len(hits) < len(found["data"]):
            out["note"] = "mail hits were left out: this token lacks the scope 'search:read'"
        return out

    def _investor_row(self, investor_id: str | None, name: str | None) -> dict:
        if investor_id:
            return self.grid.get_row(investor_id)
        if not name:
            raise ToolError("give the investor's id (from search) or its name")
        matches = self.grid.lookup(name, 10)
        exact = [m for m in matches if m["name"].casefold() == " ".join(name.split()).casefold()]
        picked = exact or matches
        if not picked:
            raise ToolError(f"no live investor's name contains '{name}'; try the search tool")
        if len(picked) > 1:
            raise ToolError(f"several investors match '{name}': "
                            + "; ".join(f"{m['name']} (id {m['id']})" for m in picked)
                            + ". Call get_investor again with one id.")
        return self.grid.get_row(picked[0]["id"])

    def get_investor(self, principal: Principal, args: dict) -> dict:
        row = self._investor_row(args["id"], args["name"])
        columns = self.grid.columns()
        funds = {c["id"]: c["name"] for c in columns if c["type"] == "fund"}
        out = {"id": row["id"], "name": None, "values": {}, "people": [], "commitments": [], "pipeline": []}
        for c in columns:
            value = row["values"].get(c["id"])
            if c["primary"]:
                out["name"] = value
            if _empty(value):
                continue
            if c["type"] == "contacts":
                out["people"] += _shown(c, value)
            elif c["type"] == "fund":
                out["commitments"].append({"fund": c["name"], "fund_id": c["id"], "amount": value})
            elif c["type"] == "pipeline" and isinstance(value, dict):
                fund_id = c["options"].get("fund_id")
                out["pipeline"].append({"fund": funds.get(fund_id, c["name"]), "fund_id": fund_id,
                                        **_opportunity(value)})
            else:
                out["values"][c["name"]] = value
        if row.get("archived_at"):
            out["archived_at"] = row["archived_at"]
        touches, total = self.interactions.for_investor(row["id"], args["touches"], 0)
        out["recent_touches"] = [
            {"occurred_at": t["occurred_at"], "kind": t["kind"], "source": t["source"], "summary": t["summary"],
             "by": (t.get("by") or {}).get("name"),
             **({"body": t["body"][:BODY_SHOWN]} if t.get("body") else {})} for t in touches]
        out["touches_total"] = total
        return out

    def _names(self) -> dict[str, str]:
        return {c["id"]: c["name"] for c in self.grid.columns()}

    def _filter(self, group: Any, names: dict) -> Any:
        if not isinstance(group, dict):
            return None
        if "conditions" in group:
            parts = [self._filter(c, names) for c in group.get("conditions") or []]
            return {"op": group.get("op", "and"), "conditions": parts} if parts else None
        return {"column": names.get(group.get("column_id"), group.get("column_id")),
                "operator": group.get("operator"), "value": group.get("value")}

    def _view_summary(self, view: dict, names: dict) -> dict:
        return {"id": view["id"], "name": view["name"], "owner": view["owner_name"], "updated_at": view["updated_at"],
                "filter": self._filter(view["filter"], names),
                "sort": [{"column": names.get(s.get("column_id"), s.get("column_id")), "direction": s.get("direction")}
                         for s in view["sort"]]}

    def list_views(self, principal: Principal, args: dict) -> dict:
        names = self._names()
        return {"views": [self._view_summary(v, names) for v in self.views.list(principal) if v["shared"]]}

    def run_view(self, principal: Principal, args: dict) -> dict:
        if args["id"]:
            view = self.views.get(principal, args["id"])
        elif args["name"]:
            wanted = " ".join(args["name"].split()).casefold()
            view = next((v for v in self.views.list(principal) if v["shared"] and v["name"].casefold() == wanted), None)
            if view is None:
                raise ToolError(f"no shared view is named '{args['name']}'; list_views names them")
        else:
            raise ToolError("give the view's id or its name (list_views names them)")
        columns = self.grid.columns()
        ranked = {cid: i for i, cid in enumerate(view["order"])}
        hidden = set(view["hidden"])
        shown = sorted((c for c in columns if c["id"] not in hidden),
                       key=lambda c: (ranked.get(c["id"], len(ranked)), c["position"]))
        rows = dict(self.grid.live_rows())
        ids = self.views.select(view, list(rows.items()), self.grid.column_lookup())
        offset, limit = args["offset"], args["limit"]
        page = [{"id": rid, "values": {c["name"]: _shown(c, rows[rid].get(c["id"])) for c in shown
                                       if not _empty(rows[rid].get(c["id"]))}}
                for rid in ids[offset:offset + limit]]
        return {"view": self._view_summary(view, {c["id"]: c["name"] for c in columns}),
                "columns": [c["name"] for c in shown], "total": len(ids), "offset": offset, "rows": page}

    def run_plan(self, principal: Principal, args: dict) -> dict:
        if _mentions_mail(args["plan"]) and not set(MAIL_SCOPES) & principal.scopes:
            raise ToolError("this plan reads captured mail (the emails entity); that needs the scope "
                            "'search:read' (or 'email:read') as well as 'grid:read'")
        out = self.questions.query(args["plan"])
        answer = out["answer"]
        return {"columns": answer["columns"], "rows": answer["rows"], "truncated": answer["truncated"],
                "explanation": out["explanation"], "plan": out["plan"]}

    # -- the write --------------------------------------------------------------------------------
    def log_note(self, conn, principal: Principal, args: dict) -> dict:
        """A note, call or meeting in the investor's interaction log, as POST .../interactions records
        one (validated, audited as interaction.added) but with source `mcp`."""
        kind, occurred_at, investor_id = args["kind"], args["occurred_at"], args["investor_id"]
        found = conn.execute("SELECT name FROM investors WHERE id = ? AND archived_at IS NULL", (investor_id,)).fetchone()
        if found is None:
            raise NotFound(f"investor {investor_id} does not exist (or is archived)")
        entry = log.add_in(conn, principal, investor_id, kind, SOURCE, args["summary"].strip(), args["body"],
                           occurred_at, {"tool": "log_note"})
        return {"logged": True, "investor": {"id": investor_id, "name": found[0]},
                "interaction": {k: entry[k] for k in ("id", "kind", "source", "summary", "occurred_at", "at")}}


_ID = {"type": "string", "minLength": 1, "maxLength": 64}
TOOLS: tuple[Tool, ...] = (
    Tool("search", "Search the CRM",
         "Full-text (and, with a local model, semantic) search over notes, the interaction log, long-text cells, "
         "investors and matched mail; hits name their investor's id for get_investor",
         READ, _schema({"query": {"type": "string", "minLength": 1, "maxLength": 500, "description": "what to look for"},
                        "investor_id": {**_ID, "description": "only this investor's sources"},
                        "type": {"type": "string", "enum": list(SEARCH_TYPES), "description": "only this kind of source"},
                        "from": {"type": "string", "maxLength": 40, "description": "YYYY-MM-DD: happened on or after"},
                        "to": {"type": "string", "maxLength": 40, "description": "YYYY-MM-DD: happened on or before"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}}, ("query",)),
         Tools.search),
    Tool("get_investor", "Get an investor",
         "One investor: its cells by column name, its people, its commitment to each fund, its pipeline "
         "opportunities and its most recent touches from the interaction log; by id, or by name",
         READ, _schema({"id": {**_ID, "description": "the investor's id (from search or run_view)"},
                        "name": {"type": "string", "minLength": 1, "maxLength": 200,
                                 "description": "its name, when the id is not known (must match one investor)"},
                        "touches": {"type": "integer", "minimum": 0, "maximum": 50, "default": 10,
                                    "description": "how many recent touches to include"}}),
         Tools.get_investor),
    Tool("list_views", "List saved views",
         "The team's shared saved views of the grid: their ids, names, filters and sorts",
         READ, _schema({}), Tools.list_views),
    Tool("run_view", "Run a saved view",
         "The investors a shared saved view selects, in its order, with the columns it shows; by id or by name",
         READ, _schema({"id": {**_ID, "description": "the view's id (from list_views)"},
                        "name": {"type": "string", "minLength": 1, "maxLength": 120, "description": "its exact name"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                        "offset": {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}}),
         Tools.run_view),
    Tool("run_plan", "Run a query plan",
         "Answer a question with a read-only query plan (entities investors, people, funds, commitments, "
         "interactions, emails, opportunities, tasks; filters, per-investor aggregates, grouping, sort); "
         "read the resource crm://query-schema for what a plan may name and examples",
         READ, _schema({"plan": {"type": "object", "description": "the plan, e.g. {\"entity\": \"commitments\", "
                                 "\"fields\": [\"fund\", \"total\"], \"group_by\": [\"fund\"], \"aggregates\": "
                                 "[{\"as\": \"total\", \"fn\": \"sum\", \"field\": \"amount\"}]}"}}, ("plan",)),
         Tools.run_plan),
    Tool("log_note", "Log a note",
         "Add a note, call or meeting to an investor's interaction log (recorded with source 'mcp' and the "
         "token's name; nothing is sent to anyone)",
         WRITE, _schema({"investor_id": {**_ID, "description": "the investor's id"},
                         "summary": {"type": "string", "minLength": 1, "maxLength": 500, "description": "one line"},
                         "body": {"type": "string", "maxLength": 100_000, "description": "the full note"},
                         "kind": {"type": "string", "enum": list(NOTE_KINDS), "default": "note"},
                         "occurred_at": {"type": "string", "maxLength": 40,
                                         "description": "when it happened (ISO-8601); default now"}},
                        ("investor_id", "summary")),
         Tools.log_note, writes=True),
)
BY_NAME = {t.name: t for t in TOOLS}
RESOURCES = (
    {"uri": "crm://schema", "name": "schema", "title": "The grid's schema", "mimeType": "application/json",
     "description": "Columns and their types (choices of selects, formulas), funds, lists with their counts, "
                    "pipeline stages with their usual probabilities"},
    {"uri": "crm://query-schema", "name": "query-schema", "title": "The query-plan language",
     "mimeType": "application/json",
     "description": "What a run_plan plan may name: entities, fields, operators, functions, limits, this grid's "
                    "vocabulary and example plans"},
)
