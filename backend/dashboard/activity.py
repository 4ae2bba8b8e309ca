"""The team's activity for the dashboard: emails, notes and edits per member and UTC day over the
last 12 weeks, and per investor and day for the busiest investors of the last 30 days.

The two append-only sources are tallied incrementally (`Tally`): the grid's change log by `seq`
and the interaction log by rowid are read once over the window, then only what was added since the
last read; a request costs the new rows, not the 12 weeks. What a tally cannot follow by
appending is handled at read time or by a rebuild:
- an investor archived (or restored) later: its counts are kept per investor and subtracted while
  it is archived, so the figures follow the grid at once;
- a column archived or restored: edits of that column count or not, so the edits tally is rebuilt;
- a new week: the window moves, so both are rebuilt (once a week).
Captured mail is not append-only (a re-match moves or drops links), so it is read in SQL and kept
per set of high-water marks of the mail tables (`Mail`).

Counting rules (docs/dashboard.md): notes are the interaction log by when each entry was
recorded, without automation touches and the entries approved mail proposals make (the mail
itself counts); edits are cell edits by who made them, without automation rules and without the
values an investor was created with; an email counts once per team member (outbound: the sender;
inbound: every team mailbox it arrived in) and once per investor it names.
"""
from __future__ import annotations

import heapq
import threading
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from ..db import BOUNDS, first_change_at

WEEKS = 12
TOP_INVESTORS = 10
TOP_WINDOW_DAYS = 30
KINDS = ("emails", "notes", "edits")
CREATION_SECONDS = 2.0  # a row's first values land in the transaction that created it


def iso(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def actor_key(actor_type: str, actor_id: str | None, actor_name: str | None) -> str:
    if actor_type == "user":
        return f"user:{actor_id}"
    if actor_type == "service":
        return f"service:{actor_id}"
    return f"system:{actor_name or 'system'}"


def is_automation(actor_type: str, actor_name: str | None) -> bool:
    return actor_type == "system" and (actor_name or "").startswith("Automation: ")


class Tally:
    """Counts of one append-only source since `first_day`: per (member, day), per investor (to
    take an archived one out), per day and investor (the 30-day ranking), the last time per investor."""

    def __init__(self, first_day: str = "", columns: frozenset = frozenset()):
        self.first_day, self.columns, self.mark = first_day, columns, 0
        self.member_day: Counter = Counter()
        self.by_inv: dict[str, Counter] = {}
        self.day_inv: dict[str, Counter] = {}
        self.last: dict[str, str] = {}
        self.names: dict[str, tuple[str, str]] = {}   # member key -> (name as logged, kind)
        self.touched: set[str] = set()                 # investors counted since the ranking last looked

    def add(self, actor_type: str, actor_id, actor_name, at: str, inv: str, n: int = 1) -> None:
        day = at[:10]
        if day < self.first_day or not inv:
            return
        member = actor_key(actor_type, actor_id, actor_name)
        if member not in self.names:
            self.names[member] = (actor_name or "", actor_type)
        self.member_day[(member, day)] += n
        per = self.by_inv.get(inv)
        if per is None:
            per = self.by_inv[inv] = Counter()
        per[(member, day)] += n
        today = self.day_inv.get(day)
        if today is None:
            today = self.day_inv[day] = Counter()
        today[inv] += n
        if at > self.last.get(inv, ""):
            self.last[inv] = at
        self.touched.add(inv)

    def member_days(self, archived: list[str]) -> Counter:
        """(member, day) -> count over live investors: the whole tally less the archived ones'."""
        out = Counter(self.member_day)
        for inv in archived:
            per = self.by_inv.get(inv)
            if per:
                out.subtract(per)
        return out


def _read_edits(conn, tally: Tally, since: str) -> None:
    """Cell edits after the tally's mark (at the first read: since the window's start)."""
    bounds = conn.execute(BOUNDS).fetchone()
    if bounds[0] is None:
        return
    start = tally.mark + 1 if tally.mark else first_change_at(conn, since, bounds[0], bounds[1] + 1)
    created: dict[str, tuple] = {}  # investor -> (actor, when) of its row_created seen in this read
    for seq, at, actor_type, actor_id, actor_name, kind, inv, col, version in conn.execute(
            "SELECT seq, at, actor_type, actor_id, actor_name, kind, investor_id, column_id, row_version"
            " FROM grid_changes WHERE seq >= ? AND kind IN ('cell', 'row_created') ORDER BY seq", (start,)):
        tally.mark = seq
        if kind == "row_created":
            created[inv] = (actor_type, actor_id, actor_name, at)
            continue
        if col not in tally.columns or is_automation(actor_type, actor_name):
            continue
        if version == 2 and inv in created:
            c_type, c_id, c_name, c_at = created[inv]
            if (c_type, c_id, c_name) == (actor_type, actor_id, actor_name) and _seconds(c_at, at) <= CREATION_SECONDS:
                continue  # a value the investor was created with
        tally.add(actor_type, actor_id, actor_name, at, inv)
    tally.mark = max(tally.mark, bounds[1])


def _seconds(earlier: str, later: str) -> float:
    if earlier[:19] == later[:19]:  # the same second (a row's first values: its creating transaction)
        return 0.0
    try:
        a = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
        b = datetime.fromisoformat(later.replace("Z", "+00:00"))
    except ValueError:
        return 1e9
    return (b - a).total_seconds()


def _read_notes(conn, tally: Tally, since: str) -> None:
    where = "rowid > ?" if tally.mark else "at >= ?"
    for rowid, at, actor_type, actor_id, actor_name, inv in conn.execute(
            "SELECT rowid, at, actor_type, actor_id, actor_name, investor_id FROM interactions"
            f" WHERE {where} AND kind != 'automation' AND NOT (kind = 'email' AND source = 'gmail')"
            " ORDER BY rowid", (tally.mark if tally.mark else since,)):
        tally.mark = max(tally.mark, rowid)
        tally.add(actor_type, actor_id, actor_name, at, inv)


_MAIL = ("m.sent_at >= ? AND m.archived_at IS NULL AND m.matched = 1 AND m.direction IN ('inbound', 'outbound')")


def _read_mail(conn, since: str) -> list[tuple]:
    """(sent_at, member keys, investor ids) of each matched message sent since `since`."""
    messages: dict[str, list] = {}
    for mid, sent_at, direction, from_addr, inv in conn.execute(
            "SELECT m.id, m.sent_at, m.direction, m.from_addr, l.investor_id FROM email_messages m"
            f" JOIN email_links l ON l.message_id = m.id WHERE {_MAIL} AND l.archived_at IS NULL", (since,)):
        entry = messages.get(mid)
        if entry is None:
            entry = messages[mid] = [sent_at, direction, from_addr, []]
        entry[3].append(inv)
    boxes: dict[str, list[str]] = {}
    if any(e[1] == "inbound" for e in messages.values()):
        for mid, addr in conn.execute(
                "SELECT s.message_id, a.email FROM email_sightings s JOIN email_accounts a ON a.id = s.account_id"
                f" JOIN email_messages m ON m.id = s.message_id WHERE {_MAIL} AND m.direction = 'inbound'", (since,)):
            boxes.setdefault(mid, []).append((addr or "").lower())
    users = {(email or "").lower(): uid for uid, email in conn.execute("SELECT id, email FROM users") if email}
    key = lambda addr: f"user:{users[addr]}" if addr in users else f"mailbox:{addr or 'unknown'}"
    out = []
    for mid, (sent_at, direction, from_addr, investors) in messages.items():
        if direction == "outbound":
            who = (key((from_addr or "").lower()),)
        else:
            who = tuple(sorted({key(b) for b in boxes.get(mid) or ()})) or (key(""),)
        out.append((sent_at, who, tuple(investors)))
    return out


class Activity:
    """The tallies and the mail, kept between requests (`app.dashboard` holds one)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.edits, self.notes = Tally(), Tally()
        self.mail: tuple | None = None   # (marks, since, messages)
        self.ranking: tuple | None = None  # (what it depends on, the investors it ranked first)
        self.mail_counts: tuple | None = None  # (what they depend on, per member and day, per investor, last)

    def figures(self, conn, now: datetime, archived: frozenset, live, name_col: str | None,
                live_columns: frozenset) -> dict:
        """`archived`: the ids of the grid's archived investors; `live`: its live rows by id (a mapping)."""
        today = now.astimezone(timezone.utc).date()
        first = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))  # Monday, 11 weeks before this one
        first_s = first.isoformat()
        since = iso(datetime.combine(first, datetime.min.time(), timezone.utc))
        with self.lock:
            if self.edits.first_day != first_s or self.edits.columns != live_columns:
                self.edits = Tally(first_s, live_columns)
            if self.notes.first_day != first_s:
                self.notes = Tally(first_s)
            _read_edits(conn, self.edits, since)
            _read_notes(conn, self.notes, since)
            marks = conn.execute(
                "SELECT (SELECT max(rowid) FROM email_messages), (SELECT max(rowid) FROM email_links),"
                " (SELECT count(*) FROM email_links WHERE archived_at IS NULL), (SELECT max(rowid) FROM email_sightings),"
                " (SELECT count(*) FROM email_messages WHERE matched = 1), (SELECT max(rowid) FROM users)").fetchone()
            if self.mail is None or self.mail[0] != marks or self.mail[1] != since:
                self.mail = (marks, since, _read_mail(conn, since))
            mail = self.mail[2]
            edit_days = self.edits.member_days(archived)
            note_days = self.notes.member_days(archived)
            names = dict(conn.execute("SELECT id, username FROM users").fetchall())
            member_names = {**self.notes.names, **self.edits.names}
            top_from = (today - timedelta(days=TOP_WINDOW_DAYS - 1)).isoformat()
            recent_days = [[per for day, per in tally.day_inv.items() if day >= top_from]
                           for tally in (self.notes, self.edits)]
            # Counts only grow while the window, the tallies, the mail and the archived investors stay
            # as they were: then the ranking needs only the last leaders and the investors counted since.
            depends = (top_from, id(self.notes), id(self.edits), self.mail[0], archived)
            recent: Counter = Counter()
            if self.ranking is not None and self.ranking[0] == depends:
                for inv in set(self.ranking[1]) | self.notes.touched | self.edits.touched:
                    recent[inv] = sum(per.get(inv, 0) for per in recent_days[0] + recent_days[1])
            else:
                for per in recent_days[0] + recent_days[1]:
                    recent.update(per)
            self.notes.touched.clear()
            self.edits.touched.clear()
            lasts = (self.notes.last, self.edits.last)

        week_of = {}
        per: dict[str, list[list[int]]] = {}

        def bump(member: str, day: str, kind: int, n: int) -> None:
            w = week_of.get(day)
            if w is None:
                try:
                    w = week_of[day] = (date.fromisoformat(day) - first).days // 7
                except ValueError:
                    w = week_of[day] = -1
            if 0 <= w < WEEKS and n:
                per.setdefault(member, [[0, 0, 0] for _ in range(WEEKS)])[w][kind] += n

        with self.lock:
            counted = self.mail_counts if self.mail_counts and self.mail_counts[0] == depends else None
        if counted is None:  # the mail's counts, kept while the mail and the archived investors stay as they were
            mail_days, recent_mail, last_mail = Counter(), Counter(), {}
            for sent_at, who, investors in mail:
                if not any(inv in live for inv in investors):
                    continue
                day = sent_at[:10]
                for member in who:
                    mail_days[(member, day)] += 1
                if day >= top_from:
                    for inv in set(investors):
                        if inv in live:
                            recent_mail[inv] += 1
                            if sent_at > last_mail.get(inv, ""):
                                last_mail[inv] = sent_at
            counted = (depends, mail_days, recent_mail, last_mail)
            with self.lock:
                self.mail_counts = counted
        _, mail_days, recent_mail, last_mail = counted
        recent.update(recent_mail)
        for (member, day), n in mail_days.items():
            bump(member, day, 0, n)
        for kind, days in ((1, note_days), (2, edit_days)):
            for (member, day), n in days.items():
                bump(member, day, kind, n)

        def member_info(key: str) -> dict:
            kind, _, ident = key.partition(":")
            if kind == "user":
                name = names.get(ident) or member_names.get(key, ("",))[0] or "someone"
            elif kind == "mailbox":
                name = ident
            else:
                name = member_names.get(key, ("",))[0] or ("a service token" if kind == "service" else "the system")
            return {"key": key, "name": name, "kind": kind}

        members = []
        for key, grid in per.items():
            totals = [sum(week[k] for week in grid) for k in range(3)]
            if sum(totals):
                members.append({**member_info(key), **dict(zip(KINDS, totals)), "total": sum(totals),
                                "weeks": [dict(zip(KINDS, week)) for week in grid]})
        members.sort(key=lambda m: (-m["total"], m["name"].lower()))
        weeks = [(first + timedelta(days=7 * i)).isoformat() for i in range(WEEKS)]
        activity = []
        for i, week in enumerate(weeks):
            counts = [sum(m["weeks"][i][k] for m in members) for k in KINDS]
            activity.append({"week": week, **dict(zip(KINDS, counts)), "total": sum(counts)})

        def name(inv: str) -> str:
            value = live[inv].values.get(name_col) if name_col else None
            return value if isinstance(value, str) and value.strip() else "(unnamed)"

        # The 10 highest counts first (no names needed), then every investor tied with them by name.
        counts = heapq.nlargest(TOP_INVESTORS, (n for inv, n in recent.items() if n > 0 and inv in live))
        floor = counts[-1] if counts else 1
        tied = [(n, inv) for inv, n in recent.items() if n >= floor and inv in live]
        best = sorted(tied, key=lambda c: (-c[0], name(c[1]).casefold(), c[1]))[:TOP_INVESTORS]
        with self.lock:
            self.ranking = (depends, [inv for _n, inv in tied])
        top = []
        for total, inv in best:
            e = recent_mail[inv]
            n, ed = (sum(per.get(inv, 0) for per in days) for days in recent_days)
            last = max(last_mail.get(inv, ""), *(seen.get(inv, "") for seen in lasts))
            top.append({"id": inv, "name": name(inv), "emails": e, "notes": n, "edits": ed, "total": total,
                        "last_at": last or None})
        return {"activity": activity,
                "activity_by_week": {"weeks": weeks, "kinds": list(KINDS), "members": members, "since": since,
                                     "timezone": "UTC"},
                "top_investors": top, "top_since": top_from}
