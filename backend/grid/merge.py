"""Merging two investors that are the same one, and undoing it. Written only on the connection
`Grid._write` hands it (called by `Grid.merge_rows` / `Grid.unmerge`), so the grid's cache, the
change feed and the published view stay in step; the tables of other packages (mail links,
tasks, search) are moved by the hooks the server registers in `Grid.merge_hooks`, inside the
same transaction.

A merge of row A (`merged`, the path's id) into row B (`survivor`, `into`): B keeps its values;
each of B's empty cells takes A's; where both have a value the person's choice decides
(`choices`: {column id: "a" | "b", or "both" for long text: B's then A's}). A's people join B's
(deduplicated by email, else by name with nicknames folded), its opportunities move when B has
none for the fund (a choice of "a" replaces B's, which is archived), its interactions move, and A
is archived with `merged_into` = B. One audit entry (`investor.merged`) with the field-level
diff; B's changes are normal cell changes in the feed, A's archive a `row_archived`. The
`merges` row records exactly what moved and what B held before, so `unmerge` puts both back
(B's cells changed since the merge keep their newer value and are named)."""
from __future__ import annotations

import json
from typing import Any

from .. import audit
from ..db import new_id, utc_now
from ..errors import BadRequest, Conflict, NotFound
from ..interactions import log as interaction_log
from . import column_types as ct

CHOICES = ("a", "b", "both")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _name_col(columns):
    return next(c for c in columns if c.field == "name")


def _fold_name(name: str | None) -> str:
    return " ".join((name or "").casefold().split())


def _same_person(pool: list[dict], person: dict) -> dict | None:
    """The person of `pool` that `person` is: the same email (case aside), else the same name where
    the addresses do not differ."""
    email = (person.get("email") or "").casefold()
    if email:
        found = next((p for p in pool if (p.get("email") or "").casefold() == email), None)
        if found is not None:
            return found
    name = _fold_name(person.get("name"))
    if name:
        return next((p for p in pool if _fold_name(p.get("name")) == name
                     and not (p.get("email") and person.get("email"))), None)
    return None


def merged_into(conn, row_id: str) -> str | None:
    """The survivor an investor was merged into (None: not merged, or unmerged)."""
    found = conn.execute("SELECT merged_into FROM investors WHERE id = ?", (row_id,)).fetchone()
    return found[0] if found else None


def fields(grid, columns, merged, survivor) -> list[dict]:
    """Each value column as the merge sees it: both values, whether they conflict, the default."""
    out = []
    for col in columns:
        if col.type in ct.COMPUTED or col.type == "contacts":
            continue
        a, b = merged.values.get(col.id), survivor.values.get(col.id)
        same = grid._same(col, b, a)
        conflict = not _empty(a) and not _empty(b) and not same
        text = col.type == "long_text" or col.field == "notes"
        default = "a" if _empty(b) and not _empty(a) else "both" if conflict and text else "b"
        out.append({"column_id": col.id, "name": col.name, "type": col.type, "a": a, "b": b, "same": same,
                    "conflict": conflict, "default": default,
                    "choices": ["a", "b", "both"] if text else ["a", "b"],
                    "kind": "commitment" if col.type == "fund" else "opportunity" if col.type == "pipeline" else "cell"})
    return out


def people_plan(merged, survivor, people_col) -> tuple[list[dict], list[dict]]:
    """(people who move to the survivor, people already there by email or name)."""
    if people_col is None:
        return [], []
    pool = [dict(p) for p in (survivor.values.get(people_col.id) or [])]
    moving, duplicates = [], []
    for person in merged.values.get(people_col.id) or []:
        if _same_person(pool, person) is not None:
            duplicates.append(person)
        else:
            moving.append(person)
            pool.append(person)
    return moving, duplicates


def _load_pair(grid, conn, columns, merged_id: str, survivor_id: str):
    if merged_id == survivor_id:
        raise BadRequest("an investor cannot be merged into itself", field="into")
    merged = grid._row_from_db(conn, columns, merged_id)
    try:
        survivor = grid._row_from_db(conn, columns, survivor_id)
    except NotFound:
        raise NotFound(f"investor {survivor_id} (into) does not exist") from None
    for row, role in ((merged, "the investor to merge"), (survivor, "the investor to merge into")):
        if row.archived_at:
            raise Conflict(f"{role} ({row.values.get(_name_col(columns).id) or row.id}) is archived",
                           code="archived", row_id=row.id)
    return merged, survivor


def preview(grid, conn, columns, merged_id: str, survivor_id: str) -> dict:
    """What a merge would do, without writing: both rows and their versions, each field with its
    default choice and conflicts (commitments, opportunities, cells), the people who move and who
    are there already, and how many touches move."""
    merged, survivor = _load_pair(grid, conn, columns, merged_id, survivor_id)
    people_col = next((c for c in columns if c.type == "contacts"), None)
    moving, duplicates = people_plan(merged, survivor, people_col)
    name = _name_col(columns).id
    touches = conn.execute("SELECT count(*) FROM interactions WHERE investor_id = ?", (merged_id,)).fetchone()[0]
    items = fields(grid, columns, merged, survivor)
    return {"a": merged.as_dict() | {"name": merged.values.get(name)},
            "b": survivor.as_dict() | {"name": survivor.values.get(name)},
            "versions": {merged.id: merged.version, survivor.id: survivor.version},
            "fields": items, "conflicts": [f["column_id"] for f in items if f["conflict"]],
            "people": {"moving": moving, "already_there": duplicates}, "interactions": touches}


def _check_versions(conn, columns, rows, expected: dict | None) -> None:
    """409 when a row changed since the preview, naming who changed what."""
    if not expected:
        return
    if not isinstance(expected, dict):
        raise BadRequest("expected_versions must be an object {row id: version}", field="expected_versions")
    names = {c.id: c.name for c in columns}
    stale = []
    for row in rows:
        want = expected.get(row.id)
        if want is None:
            continue
        if not isinstance(want, int) or isinstance(want, bool):
            raise BadRequest("expected_versions must map row ids to whole numbers", field="expected_versions")
        if want != row.version:
            changes = conn.execute(
                "SELECT actor_name, kind, column_id, at FROM grid_changes WHERE investor_id = ? AND row_version > ?"
                " ORDER BY seq", (row.id, want)).fetchall()
            stale.append({"row_id": row.id, "expected": want, "version": row.version,
                          "changes": [{"by": c[0], "kind": c[1], "column_id": c[2], "column": names.get(c[2]),
                                       "at": c[3]} for c in changes]})
    if stale:
        said = "; ".join(
            ", ".join(sorted({f"{c['by'] or 'someone'} changed {repr(c['column']) if c['column'] else c['kind']}"
                              for c in s["changes"]})) or f"row {s['row_id']} changed" for s in stale)
        raise Conflict(f"changed since the preview ({said}); review the merge again", code="version_conflict",
                       stale=stale)


def _log_row(grid, conn, actor, columns, before, row_id: str):
    """Log the survivor's cells that moved (people, opportunities, values) as one new version of
    the row, recompute its formulas and put it in the cache. Returns (row, diffs)."""
    after = grid._row_from_db(conn, columns, row_id)
    diffs = [(c, before.values.get(c.id), after.values.get(c.id)) for c in columns
             if c.type not in ct.COMPUTED and not grid._same(c, before.values.get(c.id), after.values.get(c.id))]
    if diffs:
        now, version = utc_now(), before.version + 1
        conn.execute("UPDATE investors SET version = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                     (version, now, actor.name, row_id))
        for col, old, new in diffs:
            grid._log(conn, actor, "cell", row_id, col.id, version, old, new)
        after = grid._row_from_db(conn, columns, row_id)
        grid._recompute_row(conn, columns, after, [c.id for c, _, _ in diffs])
        after = grid._row_from_db(conn, columns, row_id)
    grid._commit_row(after, columns)
    return after, diffs


def _set_life(grid, conn, actor, columns, row, archived: bool, merged_into: str | None):
    now, version = utc_now(), row.version + 1
    conn.execute("UPDATE investors SET archived_at = ?, archived_by = ?, merged_into = ?, version = ?, updated_at = ?,"
                 " updated_by = ? WHERE id = ?", (now if archived else None, actor.name if archived else None,
                                                   merged_into, version, now, actor.name, row.id))
    grid._log(conn, actor, "row_archived" if archived else "row_restored", row.id, None, version, None,
              {"merged_into": merged_into} if merged_into else {"unmerged": True})
    fresh = grid._row_from_db(conn, columns, row.id)
    grid._recompute_row(conn, columns, fresh, None)
    fresh = grid._row_from_db(conn, columns, row.id)
    grid._commit_row(fresh, columns)
    return fresh


def merge(grid, conn, columns, actor, merged_id: str, survivor_id: str, choices: dict | None = None,
          expected_versions: dict | None = None) -> dict:
    merged, survivor = _load_pair(grid, conn, columns, merged_id, survivor_id)
    _check_versions(conn, columns, (merged, survivor), expected_versions)
    if choices is not None and not isinstance(choices, dict):
        raise BadRequest("choices must be an object {column id: 'a' | 'b' | 'both'}", field="choices")
    choices = dict(choices or {})
    plan = {f["column_id"]: f for f in fields(grid, columns, merged, survivor)}
    by_id = {c.id: c for c in columns}
    by_name = {c.name.casefold(): c.id for c in columns}
    picked = {}
    for key, choice in choices.items():
        cid = key if key in plan else by_name.get(str(key).casefold())
        if cid not in plan:
            raise BadRequest(f"choices: {key!r} is not a column a merge can choose", field="choices")
        if choice not in plan[cid]["choices"]:
            raise BadRequest(f"choices: {by_id[cid].name!r} takes one of {', '.join(plan[cid]['choices'])}",
                             field="choices")
        picked[cid] = choice
    now = utc_now()
    record: dict[str, Any] = {"cells": {}, "contacts": [], "opportunities": {"moved": [], "archived": []},
                              "interactions": [], "hooks": {}}
    # Values: the survivor's unless chosen (its empty cells take the merged row's by default).
    for cid, item in plan.items():
        choice = picked.get(cid, item["default"])
        col = by_id[cid]
        if choice == "b" or (choice == "a" and item["same"]):
            continue
        if col.type == "pipeline":
            fund = col.options["fund_id"]
            if item["b"] is not None:
                conn.execute("UPDATE opportunities SET archived_at = ?, archived_by = ?, updated_at = ? WHERE id = ?",
                             (now, actor.name, now, item["b"]["id"]))
                record["opportunities"]["archived"].append(item["b"]["id"])
            if item["a"] is not None:
                conn.execute("UPDATE opportunities SET investor_id = ?, updated_at = ?, updated_by = ? WHERE id = ?"
                             " AND fund_id = ?", (survivor_id, now, actor.name, item["a"]["id"], fund))
                record["opportunities"]["moved"].append(item["a"]["id"])
            continue
        value = item["a"] if choice == "a" else f"{item['b']}\n\n{item['a']}"
        grid._store(conn, actor, survivor_id, col, value, now)
        record["cells"][cid] = {"old": item["b"], "new": value}
    # People: the merged row's join the survivor's unless already there.
    people_col = next((c for c in columns if c.type == "contacts"), None)
    moving, duplicates = people_plan(merged, survivor, people_col)
    if moving:
        start = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM contacts WHERE investor_id = ?",
                             (survivor_id,)).fetchone()[0]
        for i, person in enumerate(moving):
            old = conn.execute("SELECT position FROM contacts WHERE id = ?", (person["id"],)).fetchone()[0]
            conn.execute("UPDATE contacts SET investor_id = ?, position = ?, updated_at = ? WHERE id = ?",
                         (survivor_id, start + i, now, person["id"]))
            record["contacts"].append({"id": person["id"], "position": old})
    record["interactions"] = interaction_log.move(conn, merged_id, survivor_id)
    for name, on_merge, _ in grid.merge_hooks:
        record["hooks"][name] = on_merge(conn, actor, merged_id, survivor_id)
    survivor_after, diffs = _log_row(grid, conn, actor, columns, survivor, survivor_id)
    merged_after = _set_life(grid, conn, actor, columns, merged, True, survivor_id)
    record["seq"] = conn.execute("SELECT coalesce(max(seq), 0) FROM grid_changes").fetchone()[0]
    record["versions"] = {merged_id: merged.version, survivor_id: survivor.version}
    merge_id = new_id()
    conn.execute("INSERT INTO merges (id, survivor_id, merged_id, at, by, by_id, choices, record)"
                 " VALUES (?,?,?,?,?,?,?,?)", (merge_id, survivor_id, merged_id, now, actor.name, actor.id,
                                               json.dumps(picked), json.dumps(record)))
    name = _name_col(columns).id
    audit.record(conn, actor, "investor.merged", "investor", survivor_id, {
        "merge_id": merge_id, "merged_id": merged_id, "merged_name": merged.values.get(name),
        "changes": {c.name: {"old": old, "new": new} for c, old, new in diffs},
        "people_moved": len(moving), "people_already_there": len(duplicates),
        "interactions_moved": len(record["interactions"]),
        "opportunities_moved": len(record["opportunities"]["moved"]),
        **{f"{k}_moved": v.get("count", 0) for k, v in record["hooks"].items() if isinstance(v, dict)}})
    return {**survivor_after.as_dict(), "merge_id": merge_id, "merged": merged_after.as_dict()}


def unmerge(grid, conn, columns, actor, merged_id: str) -> dict:
    found = conn.execute("SELECT id, survivor_id, record FROM merges WHERE merged_id = ? AND undone_at IS NULL"
                         " ORDER BY at DESC, rowid DESC LIMIT 1", (merged_id,)).fetchone()
    if found is None:
        grid._row_from_db(conn, columns, merged_id)  # 404 for an unknown id
        raise Conflict("this investor was not merged into another (or the merge was undone)", code="not_merged")
    merge_id, survivor_id, record = found[0], found[1], json.loads(found[2])
    merged = grid._row_from_db(conn, columns, merged_id)
    survivor = grid._row_from_db(conn, columns, survivor_id)
    if not merged.archived_at:
        raise Conflict("the merged investor was restored since the merge; archive it first to unmerge",
                       code="restored")
    if survivor.archived_at:
        raise Conflict("the investor it was merged into is archived; restore it first", code="archived",
                       row_id=survivor_id)
    now = utc_now()
    names = {c.id: c.name for c in columns}
    by_id = {c.id: c for c in columns}
    kept = []
    for cid, cell in record["cells"].items():
        col = by_id.get(cid)
        if col is None:
            continue  # the column is archived: its value stays as the merge left it
        since = conn.execute("SELECT actor_name, at FROM grid_changes WHERE investor_id = ? AND column_id = ?"
                             " AND kind = 'cell' AND seq > ? ORDER BY seq DESC LIMIT 1",
                             (survivor_id, cid, record["seq"])).fetchone()
        if since:
            kept.append({"column_id": cid, "column": names[cid], "by": since[0], "at": since[1],
                         "value": survivor.values.get(cid)})
            continue
        grid._store(conn, actor, survivor_id, col, cell["old"], now)
    for person in record["contacts"]:
        conn.execute("UPDATE contacts SET investor_id = ?, position = ?, updated_at = ? WHERE id = ? AND investor_id = ?",
                     (merged_id, person["position"], now, person["id"], survivor_id))
    for opportunity_id in record["opportunities"]["moved"]:
        conn.execute("UPDATE opportunities SET investor_id = ?, updated_at = ?, updated_by = ? WHERE id = ?"
                     " AND investor_id = ? AND archived_at IS NULL", (merged_id, now, actor.name, opportunity_id,
                                                                      survivor_id))
    for opportunity_id in record["opportunities"]["archived"]:
        conn.execute("UPDATE opportunities SET archived_at = NULL, archived_by = NULL, updated_at = ? WHERE id = ?"
                     " AND NOT EXISTS (SELECT 1 FROM opportunities o WHERE o.investor_id = opportunities.investor_id"
                     " AND o.fund_id = opportunities.fund_id AND o.archived_at IS NULL)", (now, opportunity_id))
    back = interaction_log.move_back(conn, record["interactions"], survivor_id, merged_id)
    undone = {}
    for name, _, on_unmerge in reversed(grid.merge_hooks):
        if name in record["hooks"]:
            undone[name] = on_unmerge(conn, actor, record["hooks"][name])
    survivor_after, diffs = _log_row(grid, conn, actor, columns, survivor, survivor_id)
    merged_after = _set_life(grid, conn, actor, columns, merged, False, None)
    conn.execute("UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?", (now, actor.name, merge_id))
    audit.record(conn, actor, "investor.unmerged", "investor", merged_id, {
        "merge_id": merge_id, "survivor_id": survivor_id,
        "changes": {c.name: {"old": old, "new": new} for c, old, new in diffs},
        "kept": [k["column"] for k in kept], "interactions_back": len(back)})
    return {"merge_id": merge_id, "survivor": survivor_after.as_dict(), "merged": merged_after.as_dict(),
            "kept": kept, "hooks": undone}
