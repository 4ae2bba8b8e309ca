"""Formula columns in the grid: validation against the live columns, the dependency graph between
formula columns, and computing a row's formula cells in dependency order.

The formula language itself is `formula.py`; this module knows about columns. A formula stores
its source (with today's column names, rewritten on rename) and the ids it depends on.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from . import formula
from ..errors import Unprocessable

# Grid column types as the formula engine's static type inference sees them.
FIELD_TYPES = {"number": "number", "currency": "number", "percent": "number", "fund": "number",
               "checkbox": "checkbox", "date": "date", "created_time": "date", "last_modified_time": "date",
               "last_inbound": "date", "last_outbound": "date", "touches_90d": "number",
               "multi_select": "multi_select", "contacts": "multi_select"}


class UnknownField(formula.FormulaError):
    """A formula names a field that is neither a live column nor in the record it is given."""

    code = "formula_unknown_field"

    def __init__(self, message: str, name: str, source: str):
        super().__init__(message, _reference_position(source, name))
        self.details["unknown"] = name


def _reference_position(source: str, name: str) -> int:
    braced = source.find("{" + name + "}")
    return braced if braced >= 0 else max(source.find(name), 0)


def evaluate(source: Any, record: dict, field_names: Iterable[str]) -> tuple[Any, str]:
    """Evaluate a formula against a record, as a formula column would see it: every reference must
    name a key of `record` or one of `field_names` (the live columns), else 422 naming it."""
    parsed = formula.parse(source)
    known = {str(k).casefold() for k in record} | {n.casefold() for n in field_names}
    for name in sorted(parsed.references):
        if name.casefold() not in known:
            raise UnknownField(f"the formula refers to unknown field '{name}' (not a column, not in the record)",
                               name, source)
    return formula.to_json(parsed.evaluate(record))


def _field_type(column) -> str:
    if column.type == "formula":
        return "formula:" + column.options.get("result_type", "any")
    return FIELD_TYPES.get(column.type, column.type)


def validate(source: Any, column_name: str, columns: list, own_id: str | None = None) -> dict:
    """Parse a formula for a column: 422 naming the problem (parse position, unknown field, a
    cycle). Returns the options to store: formula, result_type, refs (column ids)."""
    if not isinstance(source, str) or not source.strip():
        raise Unprocessable(f"column '{column_name}': the formula is empty", field="options.formula")
    try:
        parsed = formula.parse(source)
    except formula.FormulaError as exc:
        raise Unprocessable(f"column '{column_name}': {exc.message}", code="formula_syntax",
                            position=exc.position, field="options.formula") from None
    by_name = {c.name: c for c in columns if c.id != own_id}
    by_folded = {c.name.casefold(): c for c in columns if c.id != own_id}
    refs = []
    for name in sorted(parsed.references):
        col = by_name.get(name) or by_folded.get(name.casefold())
        if col is None:
            own = next((c for c in columns if c.id == own_id), None)
            if own is not None and own.name.casefold() == name.casefold():
                raise Unprocessable(f"column '{column_name}': a formula cannot refer to its own column",
                                    code="formula_cycle", field="options.formula")
            raise Unprocessable(f"column '{column_name}': the formula refers to unknown field '{name}'",
                                code="formula_unknown_field", field="options.formula", unknown=name,
                                position=_reference_position(source, name))
        refs.append(col.id)
    candidate = {c.id: c for c in columns}
    cycle = _find_cycle(candidate, own_id, set(refs))
    if cycle:
        names = " -> ".join(candidate[c].name if c in candidate else column_name for c in cycle)
        raise Unprocessable(f"column '{column_name}': the formula closes a cycle: {names}",
                            code="formula_cycle", field="options.formula", cycle=cycle)
    types = {c.name: _field_type(c) for c in columns if c.id in refs}
    result_type = parsed.result_type(types)
    options = {"formula": source, "result_type": result_type, "refs": refs}
    money = [c for c in columns if c.id in refs and c.type in ("currency", "fund")]
    if result_type == "number" and money:  # "Total committed" reads as money, like its inputs
        options["format"] = "currency"
        options["symbol"] = money[0].options.get("symbol", "$")
    return options


def _find_cycle(columns: dict, own_id: str | None, own_refs: set[str]) -> list[str] | None:
    """A path own -> ... -> own through formula references, if the new refs would close one."""
    if own_id is None:
        return None
    deps = {cid: set(c.options.get("refs", [])) for cid, c in columns.items() if c.type == "formula"}
    deps[own_id] = own_refs
    stack = [(own_id, [own_id])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in deps.get(node, ()):
            if nxt == own_id:
                return path + [own_id]
            if nxt not in seen and nxt in deps:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


class FormulaGraph:
    """The formula columns of one column layout, in dependency order."""

    def __init__(self, columns: list):
        self.columns = columns
        self.formulas = [c for c in columns if c.type == "formula"]
        self.names = {c.id: c.name for c in columns}
        self.stages = {c.id for c in columns if c.type == "pipeline"}  # a formula reads an opportunity's stage
        self.parsed = {}
        for col in self.formulas:
            try:
                self.parsed[col.id] = formula.parse(col.options.get("formula", ""))
            except formula.FormulaError:
                self.parsed[col.id] = None  # stored before a rename broke it: shows as an error value
        order, placed = [], set()
        pending = {c.id: set(c.options.get("refs", [])) & {f.id for f in self.formulas} for c in self.formulas}
        while pending:
            ready = [cid for cid, deps in pending.items() if deps <= placed]
            if not ready:  # a cycle slipped in (e.g. edited tables); compute the rest once, unordered
                ready = list(pending)
            for cid in ready:
                order.append(cid)
                placed.add(cid)
                del pending[cid]
        self.order = order
        self.by_id = {c.id: c for c in self.formulas}
        self.volatile = [cid for cid in order if self.parsed[cid] is not None and self.parsed[cid].volatile]

    def affected(self, changed: Iterable[str]) -> list[str]:
        """Formula column ids whose value may change when `changed` columns change, in order."""
        dirty = set(changed)
        out = []
        for cid in self.order:
            if dirty & set(self.by_id[cid].options.get("refs", [])) or cid in dirty:
                out.append(cid)
                dirty.add(cid)
        return out

    def compute(self, values: dict, which: list[str], context: "formula.EvalContext") -> dict[str, Any]:
        """New JSON values of the `which` formula cells of one row (values updated in place as it
        goes, so a formula sees the fresh value of a formula it depends on)."""
        out = {}
        for cid in which:
            parsed = self.parsed.get(cid)
            col = self.by_id[cid]
            if parsed is None:
                value = {"error": "#ERROR!", "message": "the formula no longer parses"}
            else:
                record = {self.names[r]: (values.get(r) or {}).get("stage") if r in self.stages else values.get(r)
                          for r in col.options.get("refs", []) if r in self.names}
                value, _ = formula.to_json(parsed.evaluate(record, context))
            values[cid] = value
            out[cid] = value
        return out


def context_for(row_id: str, created_at: str | None, updated_at: str | None,
                now: datetime | None = None) -> "formula.EvalContext":
    return formula.EvalContext(now=now or datetime.now(timezone.utc), record_id=row_id,
                               created_time=created_at, last_modified_time=updated_at)
