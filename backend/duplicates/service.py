"""The duplicates service on the app (`app.duplicates`): pairs of live investors that are likely
the same one, ranked by the intake's matcher (`intake/matcher.py`: names with legal suffixes,
nicknames, people's emails, an organisation's domain but never free mail), found by blocking on
the match index's buckets (`Intake.with_index`) rather than over all pairs, and kept per grid
version: after an edit only the pairs of the rows `Grid.rows_changed_between` names are scored
again. A pair someone dismissed does not come back (dismissals are kept; undismiss archives one).
Merge, its preview and unmerge are the grid's (`Grid.merge_rows`, grid/merge.py); this service
hands them through."""
from __future__ import annotations

import bisect
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from types import SimpleNamespace

from .. import audit
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, NotFound
from ..intake import matcher
from ..principal import Principal

BUCKET_MAX = 200   # a match key shared by more investors than this says too little to pair on
MIN_SCORE = matcher.LIKELY
PASS_WAIT_SECONDS = 2.0  # a request waits this long for a whole pass before it answers with its progress


def _emails(people: list[dict]) -> list[str]:
    return [(p.get("email") or "").strip().lower() for p in people if (p.get("email") or "").strip()]


def pair_score(x: tuple, y: tuple) -> tuple[float, list[str]]:
    """How likely two indexed investors (id, name, people) are the same one, and why: the matcher
    run both ways with each one's name and emails, and with each of its people as the query; and
    two person-named investors whose names differ only by a nickname ("Charlie Dunn", "Charles Dunn")."""
    best: tuple[float, list[str]] = (0.0, [])
    if y[0] < x[0]:
        x, y = y, x  # the same reasons whichever of the two asks
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


def _pairs_for(index, slot: int, names: dict[str, set[str]], found: dict | None = None,
               later_only: bool = False, emails: dict | None = None) -> dict:
    """The likely pairs of the investor in `slot` with those sharing a bucket with it (added to
    `found`, whose pairs are not scored again). A whole pass gives `later_only`: each pair is then
    met once, from its earlier slot (finding and scoring are symmetric), and `emails` keeps each
    slot's addresses between the rows that read them."""
    found = {} if found is None else found
    emails = {} if emails is None else emails

    def emails_of(other: int) -> list[str]:
        known = emails.get(other)
        if known is None:
            known = emails[other] = _emails(index.investors[other][2])
        return known
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
    if later_only:
        near = {other for other in near if other > slot}
        others = {other for other in others if other > slot}
    mine = emails_of(slot)
    for other in near - others:
        # the matcher's only reason such a pair can have: an email within two edits (or the same)
        if index.investors[other] is not None and any(
                matcher.within_two_edits(x, y) for x in mine for y in emails_of(other)):
            others.add(other)
    for key in {own} | {_name_key(p.get("name") or "") for p in entry[2]}:
        ids = names.get(key) if key else None
        if ids and len(ids) <= BUCKET_MAX:
            others |= {index.slots[i] for i in ids if i in index.slots and (not later_only or index.slots[i] > slot)}
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


class Pass:
    """A whole pass over the grid, running in its own thread: how far it is, and when it ends."""

    def __init__(self):
        self.done, self.total = 0, 0
        self.finished = threading.Event()
        self.error: BaseException | None = None

    def progress(self) -> dict:
        return {"done": self.done, "total": self.total}


def _rank(pair: tuple[str, str], value: float, folded_name) -> tuple:
    return (-value, folded_name(pair[0]), folded_name(pair[1]), pair[0], pair[1])


@dataclass
class Found:
    """The likely pairs as of grid version `seq`, with `ranking` (best first, then by name) kept
    sorted as they change, so a page costs what it shows rather than a sort of every pair, and an
    edit costs its row's pairs rather than a copy of them all. Changed and read under the
    service's lock."""
    seq: int
    pairs: dict[tuple[str, str], tuple[float, list[str]]]
    names: dict[str, set[str]]  # investors by their own name read as a person's
    ranking: list[tuple] = field(default_factory=list)
    rank_of: dict[tuple[str, str], tuple] = field(default_factory=dict)
    by_row: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, seq: int, pairs: dict, names: dict, index) -> "Found":
        found, name_of = cls(seq, {}, names), _index_names(index)
        for pair, value in pairs.items():
            found.rank_of[pair] = _rank(pair, value[0], name_of)
            for rid in pair:
                found.by_row.setdefault(rid, set()).add(pair)
        found.pairs, found.ranking = pairs, sorted(found.rank_of.values())
        return found

    def drop_row(self, rid: str) -> None:
        for pair in self.by_row.pop(rid, ()):
            if self.pairs.pop(pair, None) is not None:
                rank = self.rank_of.pop(pair)
                del self.ranking[bisect.bisect_left(self.ranking, rank)]
                other = pair[1] if pair[0] == rid else pair[0]
                self.by_row.get(other, set()).discard(pair)

    def add(self, pair: tuple[str, str], value: tuple[float, list[str]], name_of) -> None:
        if pair in self.pairs:
            return
        self.pairs[pair] = value
        rank = self.rank_of[pair] = _rank(pair, value[0], name_of)
        bisect.insort(self.ranking, rank)
        for rid in pair:
            self.by_row.setdefault(rid, set()).add(pair)


def _index_names(index):
    """An investor's name as the ranking sorts it, folded once per investor (not once per pair:
    at 50,000 investors a pass ranks hundreds of thousands of pairs)."""
    folded: dict[str, str] = {}

    def folded_name(rid: str) -> str:
        found = folded.get(rid)
        if found is None:
            found = folded[rid] = (index.investors[index.slots[rid]][1] if rid in index.slots else "").casefold()
        return found
    return folded_name


class Duplicates:
    def __init__(self, db: Database, grid, intake):
        self.db, self.grid, self.intake = db, grid, intake
        self._found: Found | None = None
        self._pass: Pass | None = None
        self._shown: Found | None = None  # what was found before a whole pass now under way, shown meanwhile
        self._lock = threading.Lock()
        db.on_reset(self._forget)

    def _forget(self) -> None:
        with self._lock:
            self._found = self._pass = self._shown = None  # a pass under way now stores nothing

    def start(self) -> None:
        """Begin a whole pass in the background (at start-up), so the first Duplicates screen
        reads what it found instead of waiting for it."""
        with self._lock:
            if self._found is None and self._pass is None:
                self._begin()

    def _begin(self) -> Pass:
        job = self._pass = Pass()
        threading.Thread(target=self._run, args=(job,), name="duplicates-pass", daemon=True).start()
        return job

    def _run(self, job: Pass) -> None:
        """The whole pass, on a copy of the match index (chat intake's matching never waits for
        it); it only reads, so it is safe to stop at any instant."""
        try:
            seq, copy = self.intake.with_index(lambda seq, index: SimpleNamespace(
                investors=list(index.investors), slots=dict(index.slots),
                keys={k: set(v) for k, v in index.keys.items()}))
            names, pairs, emails = name_keys(copy), {}, {}
            job.total = len(copy.investors)
            for slot in range(job.total):
                _pairs_for(copy, slot, names, pairs, later_only=True, emails=emails)
                job.done = slot + 1
            found = Found.of(seq, pairs, names, copy)
            with self._lock:
                if self._pass is job:
                    self._found, self._pass, self._shown = found, None, None
        except BaseException as error:  # told to the requests waiting for it; the next one tries again
            job.error = error
            with self._lock:
                if self._pass is job:
                    self._pass = None
            sys.stderr.write("duplicates pass failed:\n" + traceback.format_exc())
        finally:
            job.finished.set()

    def _catch_up(self) -> Found | None:
        """What was found, brought to the grid's version by scoring again only the rows changed
        since (under the lock); None when the change log says to make a whole pass instead."""
        found = self._found

        def read(seq, index):
            if found.seq == seq:
                return found
            changed = self.grid.rows_changed_between(found.seq, seq)
            if changed is None:
                return None
            for rid in changed:
                found.drop_row(rid)
            for ids in found.names.values():
                ids -= changed
            for rid in changed:
                slot = index.slots.get(rid)
                key = slot is not None and _name_key(index.investors[slot][1])
                if key:
                    found.names.setdefault(key, set()).add(rid)
            fresh: dict = {}
            for rid in changed:
                slot = index.slots.get(rid)
                if slot is not None:
                    _pairs_for(index, slot, found.names, fresh)
            name_of = _index_names(index)
            for pair, value in fresh.items():
                found.add(pair, value, name_of)
            found.seq = seq
            return found
        _, self._found = self.intake.with_index(read)
        return self._found

    def found(self, wait: float = PASS_WAIT_SECONDS) -> tuple[Found | None, Pass | None]:
        """The likely pairs as of the grid's version, and None; or, while a whole pass is still
        running after `wait` seconds, what was found before it (None on a first pass) and the pass."""
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if self._pass is None and self._found is not None:
                    before = self._found
                    caught = self._catch_up()
                    if caught is not None:
                        return caught, None
                    self._shown = before
                job = self._pass or self._begin()
                shown = self._shown
            if not job.finished.wait(max(0.0, deadline - time.monotonic())):
                return shown, job
            if job.error is not None:
                raise job.error

    def dismissed(self) -> set[tuple[str, str]]:
        with self.db.read() as conn:
            return {(r[0], r[1]) for r in conn.execute(
                "SELECT a, b FROM duplicate_dismissals WHERE archived_at IS NULL")}

    def list(self, investor_id: str | None, limit: int, offset: int) -> tuple[list[dict], int, dict | None]:
        """Likely pairs, best first, without dismissed ones; with `investor_id`, only its pairs; and
        while a whole pass is still running, its progress (the pairs are then those found before)."""
        found, job = self.found()
        progress = job and job.progress()
        if found is None:
            return [], 0, progress
        dismissed, view = self.dismissed(), self.grid.view()
        name_col = next(c.id for c in view.columns if c.field == "name")

        def live(a: str, b: str) -> bool:
            ra, rb = view.rows.get(a), view.rows.get(b)
            return ra is not None and rb is not None and not ra.archived_at and not rb.archived_at

        with self._lock:  # an edit's catch-up changes `found` in place
            if investor_id:
                name_of = lambda rid: str(view.rows[rid].values.get(name_col) or "").casefold()
                ranked = sorted(_rank(k, found.pairs[k][0], name_of) for k in found.by_row.get(investor_id, ())
                                if k not in dismissed and live(*k))
                total, page_of = len(ranked), ranked[offset:offset + limit]
            else:
                # dismissed pairs are few; a row archived since the pairs' version (while a pass runs) is skipped
                total = len(found.ranking) - sum(1 for d in dismissed if d in found.pairs)
                page_of, skipped = [], 0
                for r in found.ranking:
                    if (r[3], r[4]) in dismissed or not live(r[3], r[4]):
                        continue
                    if skipped < offset:
                        skipped += 1
                        continue
                    page_of.append(r)
                    if len(page_of) >= limit:
                        break
            values = [found.pairs[(r[3], r[4])] for r in page_of]
        items = []
        for (_, _, _, a, b), (value, reasons) in zip(page_of, values):
            ra, rb = view.rows[a], view.rows[b]
            items.append({"a": a, "b": b, "score": value, "reasons": reasons,
                          "a_name": ra.values.get(name_col), "b_name": rb.values.get(name_col),
                          # the one to keep, unless the person swaps: the older row (the newer one is the copy)
                          "into": a if (ra.created_at or "", a) <= (rb.created_at or "", b) else b})
        return items, total, progress

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
