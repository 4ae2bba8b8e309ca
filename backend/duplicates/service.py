"""The duplicates service on the app (`app.duplicates`): pairs of live investors that are likely
the same one, ranked by the intake's matcher (`intake/matcher.py`: names with legal suffixes,
nicknames, people's emails, an organisation's domain but never free mail), found by blocking on
the match index's buckets (`Intake.with_index`) rather than over all pairs, and kept per grid
version: after an edit only the pairs of the rows `Grid.rows_changed_between` names are scored
again. A pair someone dismissed does not come back (dismissals are kept; undismiss archives one).
Merge, its preview and unmerge are the grid's (`Grid.merge_rows`, grid/merge.py); this service
hands them through."""
from __future__ import annotations

import threading
from types import SimpleNamespace
from collections import Counter

from .. import audit
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, NotFound
from ..intake import matcher
from ..principal import Principal

BUCKET_MAX = 200   # a match key shared by more investors than this says too little to pair on
MIN_SCORE = matcher.LIKELY


def _emails(people: list[dict]) -> list[str]:
    return [(p.get("email") or "").strip().lower() for p in people if (p.get("email") or "").strip()]


def pair_score(x: tuple, y: tuple) -> tuple[float, list[str]]:
    """How likely two indexed investors (id, name, people) are the same one, and why: the matcher
    run both ways with each one's name and emails, and with each of its people as the query; and
    two person-named investors whose names differ only by a nickname ("Charlie Dunn", "Charles Dunn")."""
    best: tuple[float, list[str]] = (0.0, [])
    for (_, name, people), (_, other_name, other_people) in ((x, y), (y, x)):
        for email in _emails(people) or [""]:
            found = matcher.score(name, email, other_name, other_people)
            if found[0] > best[0]:
                best = found
        for person in people:
            if person.get("name") or person.get("email"):
                found = matcher.score(person.get("name") or "", person.get("email") or "", other_name, other_people)
                if found[0] > best[0]:
                    best = found
    kx, ky = matcher.person_key(x[1]), matcher.person_key(y[1])
    if len(kx) >= 2 and len(ky) >= 2 and kx[0] == ky[0] and kx[-1] == ky[-1] and best[0] < 0.9:
        best = (0.9, ["same person's name (a nickname)", *best[1]])
    return best


def _close(x: str, y: str) -> bool:
    """Within two edits (the matcher's "email close to"), with a cheap bound first: two edits
    change at most four letter counts."""
    if abs(len(x) - len(y)) > 2:
        return False
    diff = Counter(x)
    diff.subtract(y)
    if sum(map(abs, diff.values())) > 4:
        return False
    return matcher.edit_distance(x, y) <= 2


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _name_key(name: str) -> str | None:
    key = matcher.person_key(name)
    return f"p:{key[0]}:{key[-1]}" if len(key) >= 2 else None


def name_keys(index: matcher.MatchIndex) -> dict[str, set[str]]:
    """Investors by their own name read as a person's ("Kate Lee" -> p:katherine:lee): the index
    keys people's names only, and a person-named investor must meet the firm that lists them."""
    names: dict[str, set[str]] = {}
    for entry in index.investors:
        key = entry and _name_key(entry[1])
        if key:
            names.setdefault(key, set()).add(entry[0])
    return names


def _pairs_for(index, slot: int, names: dict[str, set[str]], found: dict | None = None) -> dict:
    """The likely pairs of the investor in `slot` with those sharing a bucket with it (added to
    `found`, whose pairs are not scored again)."""
    found = {} if found is None else found
    entry = index.investors[slot]
    if entry is None:
        return found
    keys = matcher.MatchIndex._keys(entry[1], "", entry[2])
    own = _name_key(entry[1])
    if own:
        keys.add(own)
    others: set[int] = set()
    near: set[int] = set()  # sharing only the start or end of an email's local part: a typo, or nothing
    for key in keys:
        if key.startswith("d:") and key[2:] in matcher.FREE_MAIL_DOMAINS:
            continue  # a free-mail domain pairs no one
        bucket = index.keys.get(key)
        if bucket and len(bucket) <= BUCKET_MAX:
            (near if key.startswith(("lp:", "ls:")) else others).update(bucket)
    mine = _emails(entry[2])
    for other in near - others:
        theirs = index.investors[other]
        # the matcher's only reason such a pair can have: an email within two edits (or the same)
        if theirs is not None and any(_close(x, y) for x in mine for y in _emails(theirs[2])):
            others.add(other)
    for key in {own} | {_name_key(p.get("name") or "") for p in entry[2]}:
        ids = names.get(key) if key else None
        if ids and len(ids) <= BUCKET_MAX:
            others |= {index.slots[i] for i in ids if i in index.slots}
    for other in others:
        theirs = index.investors[other]
        if other == slot or theirs is None:
            continue
        pair = _key(entry[0], theirs[0])
        if pair in found:
            continue
        value, reasons = pair_score(entry, theirs)
        if value >= MIN_SCORE:
            found[pair] = (round(value, 3), reasons)
    return found


class Duplicates:
    def __init__(self, db: Database, grid, intake):
        self.db, self.grid, self.intake = db, grid, intake
        self._pairs: tuple[int, dict, dict] | None = None
        self._lock = threading.Lock()
        db.on_reset(self._forget)

    def _forget(self) -> None:
        self._pairs = None

    def pairs(self) -> dict[tuple[str, str], tuple[float, list[str]]]:
        """Every likely pair as of the grid's version, brought up to date incrementally."""
        with self._lock:
            cached = self._pairs

            def read(seq, index):
                changed = None
                if cached is not None:
                    changed = set() if cached[0] == seq else self.grid.rows_changed_between(cached[0], seq)
                if changed is None:  # a whole pass: on a copy, so chat intake's matching never waits for it
                    return None, SimpleNamespace(investors=list(index.investors), slots=dict(index.slots),
                                                 keys={k: set(v) for k, v in index.keys.items()})
                pairs, names = cached[1], cached[2]
                if not changed:
                    return (pairs, names), None
                pairs = {k: v for k, v in pairs.items() if k[0] not in changed and k[1] not in changed}
                for ids in names.values():
                    ids -= changed
                for rid in changed:
                    slot = index.slots.get(rid)
                    key = slot is not None and _name_key(index.investors[slot][1])
                    if key:
                        names.setdefault(key, set()).add(rid)
                fresh: dict = {}
                for rid in changed:
                    slot = index.slots.get(rid)
                    if slot is not None:
                        _pairs_for(index, slot, names, fresh)
                pairs.update(fresh)
                return (pairs, names), None
            seq, (done, copy) = self.intake.with_index(read)
            if copy is not None:
                names, pairs = name_keys(copy), {}
                for slot in range(len(copy.investors)):
                    _pairs_for(copy, slot, names, pairs)
                done = (pairs, names)
            self._pairs = (seq, *done)
            return done[0]

    def dismissed(self) -> set[tuple[str, str]]:
        with self.db.read() as conn:
            return {(r[0], r[1]) for r in conn.execute(
                "SELECT a, b FROM duplicate_dismissals WHERE archived_at IS NULL")}

    def list(self, investor_id: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
        """Likely pairs, best first, without dismissed ones; with `investor_id`, only its pairs."""
        pairs, dismissed, view = self.pairs(), self.dismissed(), self.grid.view()
        name_col = next(c.id for c in view.columns if c.field == "name")
        items = []
        for (a, b), (value, reasons) in pairs.items():
            if (a, b) in dismissed or (investor_id and investor_id not in (a, b)):
                continue
            ra, rb = view.rows.get(a), view.rows.get(b)
            if ra is None or rb is None or ra.archived_at or rb.archived_at:
                continue
            items.append({"a": a, "b": b, "score": value, "reasons": reasons,
                          "a_name": ra.values.get(name_col), "b_name": rb.values.get(name_col),
                          # the one to keep, unless the person swaps: the older row (the newer one is the copy)
                          "into": a if (ra.created_at or "", a) <= (rb.created_at or "", b) else b})
        items.sort(key=lambda p: (-p["score"], (p["a_name"] or "").casefold(), (p["b_name"] or "").casefold()))
        return items[offset:offset + limit], len(items)

    def _pair(self, conn, a, b) -> tuple[str, str]:
        if not isinstance(a, str) or not isinstance(b, str) or a == b:
            raise BadRequest("give two different investor ids a and b", field="b")
        for rid, fieldname in ((a, "a"), (b, "b")):
            if conn.execute("SELECT 1 FROM investors WHERE id = ?", (rid,)).fetchone() is None:
                raise NotFound(f"investor {rid} does not exist", field=fieldname)
        return _key(a, b)

    def dismiss(self, actor: Principal, a: str, b: str) -> dict:
        """Say a pair is not the same investor: it stops coming back (kept; undismiss archives it)."""
        with self.db.transaction() as conn:
            a, b = self._pair(conn, a, b)
            found = conn.execute("SELECT id, at, by FROM duplicate_dismissals WHERE a = ? AND b = ?"
                                 " AND archived_at IS NULL", (a, b)).fetchone()
            if found:
                return {"id": found[0], "a": a, "b": b, "at": found[1], "by": found[2]}
            dismissal_id, now = new_id(), utc_now()
            conn.execute("INSERT INTO duplicate_dismissals (id, a, b, at, by, by_id) VALUES (?,?,?,?,?,?)",
                         (dismissal_id, a, b, now, actor.name, actor.id))
            audit.record(conn, actor, "duplicates.dismissed", "investor", a, {"a": a, "b": b, "id": dismissal_id})
        return {"id": dismissal_id, "a": a, "b": b, "at": now, "by": actor.name}

    def undismiss(self, actor: Principal, a: str, b: str) -> dict:
        """The pair may come back: its dismissal is archived (never deleted)."""
        with self.db.transaction() as conn:
            a, b = self._pair(conn, a, b)
            now = utc_now()
            changed = conn.execute("UPDATE duplicate_dismissals SET archived_at = ?, archived_by = ? WHERE a = ? AND b = ?"
                                   " AND archived_at IS NULL", (now, actor.name, a, b)).rowcount
            if changed:
                audit.record(conn, actor, "duplicates.undismissed", "investor", a, {"a": a, "b": b})
        return {"a": a, "b": b, "undismissed": bool(changed)}

    # --- merge: the grid's -------------------------------------------------------------------------

    def preview(self, row_id: str, into: str) -> dict:
        return self.grid.merge_preview(row_id, into)

    def merge(self, actor: Principal, row_id: str, into: str, choices: dict | None,
              expected_versions: dict | None) -> dict:
        return self.grid.merge_rows(actor, row_id, into, choices, expected_versions)

    def unmerge(self, actor: Principal, row_id: str) -> dict:
        return self.grid.unmerge(actor, row_id)
