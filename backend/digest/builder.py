"""What happened in a window, read for the digest: `collect(db, since, until)` -> `Activity`, and
`build(...)`, which collects, narrates (`narrative.narrate`) and renders (`render.render`) one digest.

Everything is read in [since, until) (UTC) inside one read snapshot with `PRAGMA query_only` on:
the digest never writes. Sources: captured mail (matched to a live investor; one message counts
once however many mailboxes saw it or people of the investor it names; by when it was sent, or by
when it was captured if that was later than the window it was sent in), the interaction log (by
when it was recorded; automation touches and the log entries approved mail proposals make are left
out: the run and the mail itself are shown instead), grid changes (commitments, list, stage and
other edits on live columns, new investors; repeated edits of one cell by one person fold into
first old -> last new), automation runs, and tasks due or overdue once a `tasks` table exists.
Archived investors, columns, rules, links and messages never appear.

Who did it: the actor of a change or a note (a user, a service token such as the Matrix bot), for
mail the sender (outbound) or the mailbox it arrived in (inbound), mapped to a user by address.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..db import BOUNDS, first_change_at

FUND_SYMBOL = "$"
LIST_LABELS = {"main": "Main", "follow_up": "Follow-up", "graveyard": "Graveyard", "longshot": "Longshot"}
STAGE_NAMES = ("status", "stage")
NOTE_KINDS = ("note", "meeting", "call", "intake", "import", "email_note")  # email_note: an email logged by hand
CHANGE_KINDS = ("commitment", "list", "stage", "edit", "created", "restored")
VIA = {"matrix_intake": "Matrix chat", "api": "the API", "import": "an import", "gmail": "Gmail"}
TASKS_AT_MOST = 500
LATE_MAIL = timedelta(days=2)  # mail captured in the window counts if it was sent at most this long before it
_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|tr)\s*:\s*)+", re.I)


@dataclass
class Item:
    """One thing that happened with one investor (an email, a note, a change, a task)."""
    kind: str                    # email | note | meeting | call | intake | import | email_note | commitment
    #                              | list | stage | edit | created | restored | task | automation_run
    at: str                      # ISO UTC
    investor_id: str | None
    investor: str                # its name ("" when none)
    text: str                    # subject, summary, column name, task title
    detail: str = ""             # snippet or note body
    direction: str | None = None  # email: inbound | outbound
    people: tuple[str, ...] = ()  # the investor's people on it
    by: str = ""                 # who on the team (display name)
    via: str = ""                # provenance ("Matrix chat"), "" for the UI
    ref: str = ""                # message / interaction / change id
    old: Any = None
    new: Any = None
    symbol: str = FUND_SYMBOL    # a commitment's currency symbol
    overdue: bool = False        # a task


@dataclass
class MemberDay:
    key: str                     # "user:<id>", "mailbox:<address>", "service:<id>", "system:<name>"
    name: str
    email: str | None
    kind: str                    # user | mailbox | service | system
    items: list[Item] = field(default_factory=list)
    counts: dict = field(default_factory=dict)   # emails_out, emails_in, notes, changes, tasks
    investors: list[tuple[str, str]] = field(default_factory=list)  # (id, name), busiest first


@dataclass
class InvestorDay:
    id: str
    name: str
    items: list[Item] = field(default_factory=list)
    counts: dict = field(default_factory=dict)   # inbound, outbound, notes, changes, tasks
    members: list[str] = field(default_factory=list)


@dataclass
class Activity:
    members: list[MemberDay]
    investors: list[InvestorDay]
    totals: dict
    window: dict                 # {"since", "until"}: ISO UTC
    automations: list[dict] = field(default_factory=list)  # {"rule", "runs", "investors", "errors", "undone"}

    @property
    def empty(self) -> bool:
        t = self.totals
        return not (t["emails"] or t["notes"] or t["changes"] or t["automation_runs"] or t["tasks"])


# --- small helpers shared with narrative and render ------------------------------------------------

def iso(moment: datetime) -> str:
    """An aware moment as the tables store it (UTC, milliseconds, Z), rounded up to the next
    millisecond so that a stored time t >= since exactly when t >= iso(since)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond % 1000:
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def zone_of(name: str | None) -> ZoneInfo:
    """The policy's time zone; UTC when it names none the box knows."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def plain_subject(subject: str) -> str:
    return _PREFIX.sub("", subject or "").strip() or "(no subject)"


def clip(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def money(value: Any, symbol: str = FUND_SYMBOL) -> str:
    if value is None or value == "":
        return "nothing"
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= size:
            return f"{sign}{symbol}{round(amount / size, 2):g}{unit}"
    return f"{sign}{symbol}{amount:,.0f}" if amount.is_integer() else f"{sign}{symbol}{amount:,.2f}"


def shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def change_text(item: Item, with_investor: bool = True) -> str:
    """A change in words: "Acme Capital's Fund III commitment from $1M to $2.5M"."""
    owner = f"{possessive(item.investor)} " if with_investor else ""
    if item.kind == "commitment":
        if item.old is None:
            return f"{owner}{item.text} commitment set to {money(item.new, item.symbol)}"
        if item.new is None:
            return f"{owner}{item.text} commitment cleared (was {money(item.old, item.symbol)})"
        return f"{owner}{item.text} commitment from {money(item.old, item.symbol)} to {money(item.new, item.symbol)}"
    if item.kind == "list":
        old, new = LIST_LABELS.get(item.old, shown(item.old)), LIST_LABELS.get(item.new, shown(item.new))
        return f"{item.investor if with_investor else 'List'} from {old} to {new}"
    if item.kind == "stage":
        if item.old in (None, ""):
            return f"{owner}{item.text} to {shown(item.new)}"
        return f"{owner}{item.text} from {shown(item.old)} to {shown(item.new)}"
    if item.kind == "created":
        return f"{item.investor} added" + (f" ({item.text})" if item.text else "")
    if item.kind == "restored":
        return f"{item.investor} restored from the archive"
    return f"{owner}{item.text} edited" if with_investor else f"{item.text} edited"


# --- collecting ------------------------------------------------------------------------------------

class _Team:
    """Who on the team an actor or an address is: users by id and by address."""

    def __init__(self, conn, team_domains: tuple[str, ...]):
        self.by_id, self.by_email = {}, {}
        for uid, username, email in conn.execute("SELECT id, username, email FROM users"):
            self.by_id[uid] = (username, email)
            self.by_email[(email or "").lower()] = (uid, username)
        self.domains = tuple(d.lower().lstrip("@") for d in team_domains if d)
        self.members: dict[str, MemberDay] = {}

    def member(self, key: str, name: str, email: str | None, kind: str) -> MemberDay:
        found = self.members.get(key)
        if found is None:
            found = self.members[key] = MemberDay(key, name, email, kind)
        return found

    def user(self, uid: str | None, fallback: str | None) -> MemberDay:
        name, email = self.by_id.get(uid, (fallback or "someone", None))
        return self.member(f"user:{uid}", name, email, "user")

    def address(self, addr: str, display: str | None = None) -> MemberDay:
        addr = (addr or "").lower()
        if addr in self.by_email:
            uid, username = self.by_email[addr]
            return self.member(f"user:{uid}", username, addr, "user")
        return self.member(f"mailbox:{addr}", display or addr, addr, "mailbox")

    def actor(self, kind: str, aid: str | None, name: str | None) -> MemberDay:
        if kind == "user":
            return self.user(aid, name)
        if kind == "service":
            return self.member(f"service:{aid}", name or "a service token", None, "service")
        return self.member(f"system:{name or 'system'}", name or "the system", None, "system")

    def is_team(self, addr: str) -> bool:
        addr = (addr or "").lower()
        return addr in self.by_email or any(addr.endswith("@" + d) or addr.endswith("." + d) for d in self.domains)


_seq_from = first_change_at  # the first grid_changes seq at or after a moment (bisected)


def _table_columns(conn, table: str) -> set[str]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
        return set()
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _emails(conn, team: _Team, since: str, until: str, late_from: str,
            out: list[tuple[Item, list[MemberDay]]]) -> int:
    """Mail matched to a live investor that was sent in the window and captured before its end, or
    captured in the window though sent before it (since `late_from`): a sync that lands after the
    evening's digest brings its mail into the next one, and each message is in one window only."""
    window = ("m.sent_at >= ? AND m.sent_at < ? AND ((m.sent_at >= ? AND m.created_at < ?) OR"
              " (m.sent_at < ? AND m.created_at >= ? AND m.created_at < ?)) AND m.archived_at IS NULL"
              " AND m.matched = 1 AND m.direction IN ('inbound', 'outbound')")
    args = (late_from, until, since, until, since, since, until)
    links: dict[str, list[tuple]] = {}
    for mid, inv_id, inv_name, address in conn.execute(
            "SELECT l.message_id, l.investor_id, i.name, l.address FROM email_links l"
            " JOIN email_messages m ON m.id = l.message_id JOIN investors i ON i.id = l.investor_id"
            f" WHERE {window} AND l.archived_at IS NULL AND i.archived_at IS NULL ORDER BY l.investor_id", args):
        links.setdefault(mid, []).append((inv_id, inv_name, (address or "").lower()))
    if not links:
        return 0
    people: dict[str, dict[str, str]] = {}  # investor -> address -> person's name
    for inv_id, email, name in conn.execute(
            "SELECT c.investor_id, c.email, c.name FROM contacts c WHERE c.archived_at IS NULL AND c.email IS NOT NULL"
            " AND c.investor_id IN (SELECT l.investor_id FROM email_links l JOIN email_messages m ON m.id = l.message_id"
            f" WHERE {window} AND l.archived_at IS NULL)", args):
        people.setdefault(inv_id, {})[email.lower()] = name or email
    parts: dict[str, list[tuple[str, str, str]]] = {}   # message -> (role, address, name) of non-team people
    for mid, role, addr, name in conn.execute(
            "SELECT p.message_id, p.role, p.addr, p.name FROM email_participants p JOIN email_messages m"
            f" ON m.id = p.message_id WHERE {window} AND p.team = 0", args):
        if not team.is_team(addr):
            parts.setdefault(mid, []).append((role, addr.lower(), name))
    boxes: dict[str, list[str]] = {}
    for mid, addr in conn.execute(
            "SELECT s.message_id, a.email FROM email_sightings s JOIN email_accounts a ON a.id = s.account_id"
            f" JOIN email_messages m ON m.id = s.message_id WHERE {window} ORDER BY a.email", args):
        boxes.setdefault(mid, []).append(addr.lower())
    count = 0
    for mid, sent_at, direction, subject, snippet, from_addr, from_name in conn.execute(
            "SELECT m.id, m.sent_at, m.direction, m.subject, m.snippet, m.from_addr, m.from_name FROM email_messages m"
            f" WHERE {window} ORDER BY m.sent_at, m.id", args):
        if mid not in links:
            continue
        count += 1
        if direction == "outbound":
            who = [team.address(from_addr or (boxes.get(mid) or ["unknown"])[0], from_name)]
        else:
            who = list({m.key: m for m in (team.address(box) for box in boxes.get(mid) or [])}.values())
        by = ", ".join(m.name for m in who)
        on = parts.get(mid, [])
        for inv_id, inv_name, address in links[mid]:
            known = people.get(inv_id, {})
            ours = [(role, addr, known.get(addr) or name or addr) for role, addr, name in on
                    if addr in known or addr == address]
            if direction == "inbound":  # who wrote, if they are the investor's; else who of theirs was on it
                names = [n for role, _a, n in ours if role == "from"] or [n for _r, _a, n in ours]
            else:
                names = [n for role, _a, n in ours if role != "from"]
            out.append((Item("email", sent_at, inv_id, inv_name, subject or "", snippet or "", direction,
                             tuple(dict.fromkeys(names)), by, ref=mid), who))
    return count


def _interactions(conn, team: _Team, since: str, until: str, out: list) -> None:
    archived = " AND n.archived_at IS NULL" if "archived_at" in _table_columns(conn, "interactions") else ""
    for (eid, inv_id, inv_name, at, kind, source, actor_type, actor_id, actor_name, summary,
         body) in conn.execute(
            "SELECT n.id, n.investor_id, i.name, n.at, n.kind, n.source, n.actor_type, n.actor_id, n.actor_name,"
            " n.summary, n.body FROM interactions n JOIN investors i ON i.id = n.investor_id"
            " WHERE n.at >= ? AND n.at < ? AND i.archived_at IS NULL AND n.kind != 'automation'"
            f" AND NOT (n.kind = 'email' AND n.source = 'gmail'){archived} ORDER BY n.at, n.id", (since, until)):
        member = team.actor(actor_type, actor_id, actor_name)
        kind = "email_note" if kind == "email" else kind if kind in NOTE_KINDS else "note"
        out.append((Item(kind, at, inv_id, inv_name, summary or "", body or "",
                         by=member.name, via=VIA.get(source, ""), ref=eid), [member]))


def _changes(conn, team: _Team, since: str, until: str, out: list) -> None:
    bounds = conn.execute(BOUNDS).fetchone()
    if bounds[0] is None:
        return
    first = _seq_from(conn, since, bounds[0], bounds[1] + 1)
    last = _seq_from(conn, until, first, bounds[1] + 1)
    if first >= last:
        return
    columns = {}
    for cid, name, ctype, fieldname, options in conn.execute(
            "SELECT id, name, type, field, options FROM grid_columns WHERE archived_at IS NULL"):
        if ctype == "fund":
            try:
                symbol = json.loads(options or "{}").get("symbol") or FUND_SYMBOL
            except ValueError:
                symbol = FUND_SYMBOL
            columns[cid] = ("commitment", name, symbol)
        elif fieldname == "list":
            columns[cid] = ("list", name, "")
        elif (ctype == "single_select" and name.casefold() in STAGE_NAMES) or ctype == "pipeline":
            columns[cid] = ("stage", name, "")  # a fund's pipeline column: an opportunity's stage
        else:
            columns[cid] = ("edit", name, "")
    folded: dict[tuple, list] = {}   # (actor, investor, column) -> [item, member]
    created: set[tuple[str, str]] = set()   # (actor, investor) of investors added in the window
    for seq, at, actor_type, actor_id, actor_name, kind, inv_id, col_id, old, new, inv_name in conn.execute(
            "SELECT g.seq, g.at, g.actor_type, g.actor_id, g.actor_name, g.kind, g.investor_id, g.column_id, g.old,"
            " g.new, i.name FROM grid_changes g JOIN investors i ON i.id = g.investor_id WHERE g.seq >= ? AND g.seq < ?"
            " AND g.at >= ? AND g.at < ? AND g.kind IN ('cell', 'row_created', 'row_restored')"
            " AND i.archived_at IS NULL ORDER BY g.seq", (first, last, since, until)):
        automation = actor_type == "system" and (actor_name or "").startswith("Automation: ")
        member = None if automation else team.actor(actor_type, actor_id, actor_name)
        by = actor_name if automation else member.name
        if kind != "cell":
            via = ""
            if kind == "row_created" and new and '"via"' in new:
                via = VIA.get((json.loads(new) or {}).get("via"), "")
            item = Item("created" if kind == "row_created" else "restored", at, inv_id, inv_name, "", by=by,
                        via=via, ref=str(seq))
            if kind == "row_created":
                created.add((member.key if member else by, inv_id))
            out.append((item, [member] if member else []))
            continue
        if col_id not in columns:
            continue  # an archived column: never shown
        what, name, symbol = columns[col_id]
        old_value, new_value = (json.loads(old) if old else None), (json.loads(new) if new else None)
        if what == "stage":  # an opportunity (a pipeline cell) reads as its stage
            old_value, new_value = (v.get("stage") if isinstance(v, dict) else v for v in (old_value, new_value))
        key = (member.key if member else by, inv_id, col_id)
        if key in folded:
            folded[key][0].new, folded[key][0].at = new_value, at
            continue
        item = Item(what, at, inv_id, inv_name, name, by=by, ref=str(seq), old=old_value, new=new_value,
                    symbol=symbol)
        folded[key] = [item, member]
    for (actor, inv_id, _col), (item, member) in folded.items():
        if item.kind == "edit" and (actor, inv_id) in created:
            continue  # the values a new investor was created with: "added" says it
        if item.kind == "edit" or _differ(item.old, item.new):
            out.append((item, [member] if member else []))


def _differ(old: Any, new: Any) -> bool:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(old) != float(new)
    return old != new


def _automations(conn, team: _Team, since: str, until: str, out: list) -> list[dict]:
    rules: dict[str, dict] = {}
    for rule_id, name, inv_id, outcome, undone in conn.execute(
            "SELECT r.rule_id, a.name, r.investor_id, r.outcome, r.undone_at FROM automation_runs r"
            " JOIN automation_rules a ON a.id = r.rule_id LEFT JOIN investors i ON i.id = r.investor_id"
            " WHERE r.at >= ? AND r.at < ? AND a.archived_at IS NULL AND (r.investor_id IS NULL OR i.archived_at IS NULL)"
            " ORDER BY r.id", (since, until)):
        rule = rules.setdefault(rule_id, {"rule": name, "runs": 0, "investors": set(), "errors": 0, "undone": 0})
        rule["runs"] += 1
        rule["errors"] += outcome == "error"
        rule["undone"] += bool(undone)
        if inv_id and outcome == "applied":
            rule["investors"].add(inv_id)
    if "actor_type" in _table_columns(conn, "automation_batches"):
        for bid, actor_type, actor_id, actor_name, started, planned, undone, rule in conn.execute(
                "SELECT b.id, b.actor_type, b.actor_id, b.actor_name, b.started_at, b.planned, b.undone_at, a.name"
                " FROM automation_batches b LEFT JOIN automation_rules a ON a.id = b.rule_id"
                " WHERE b.started_at >= ? AND b.started_at < ? AND b.actor_type = 'user' ORDER BY b.started_at",
                (since, until)):
            member = team.actor(actor_type, actor_id, actor_name)
            label = f"'{rule}'" if rule else "every scheduled rule"
            out.append((Item("automation_run", started, None, "", label, by=member.name, ref=bid,
                             new=planned, old=bool(undone)), [member]))
    return [{**r, "investors": len(r["investors"])} for r in rules.values()]


def _tasks(conn, team: _Team, until_local_day: str, today_local: str, out: list) -> None:
    """Open tasks due by the window's last day (overdue: before its first), if tasks exist yet."""
    cols = _table_columns(conn, "tasks")
    due = next((c for c in ("due", "due_at", "due_date", "due_on") if c in cols), None)
    if not cols or due is None or "title" not in cols:
        return
    owner = next((c for c in ("owner", "owner_id", "assignee", "assignee_id") if c in cols), None)
    where = [f"t.{due} IS NOT NULL", f"substr(t.{due}, 1, 10) <= ?"]
    for done in ("done_at", "completed_at", "archived_at", "deleted_at"):
        if done in cols:
            where.append(f"t.{done} IS NULL")
    if "done" in cols:
        where.append("coalesce(t.done, 0) IN (0, '0', 'false', '')")
    if "status" in cols:
        where.append("coalesce(t.status, '') NOT IN ('done', 'completed', 'cancelled', 'archived')")
    investor = "t.investor_id" if "investor_id" in cols else "NULL"
    rows = conn.execute(
        f"SELECT t.rowid, t.title, t.{due}, {investor}, {('t.' + owner) if owner else 'NULL'}, i.name, i.archived_at"
        f" FROM tasks t LEFT JOIN investors i ON i.id = {investor} WHERE {' AND '.join(where)}"
        f" ORDER BY t.{due} LIMIT ?", (until_local_day, TASKS_AT_MOST)).fetchall()
    for rowid, title, when, inv_id, who, inv_name, inv_archived in rows:
        if inv_id and (inv_name is None or inv_archived):
            continue
        members = []
        if who:
            if who in team.by_id:
                members = [team.user(who, None)]
            elif str(who).lower() in team.by_email:
                members = [team.address(str(who))]
            else:
                match = next((uid for uid, (name, _) in team.by_id.items() if name.lower() == str(who).lower()), None)
                members = [team.user(match, None)] if match else [team.member(f"owner:{who}", str(who), None, "owner")]
        out.append((Item("task", str(when), inv_id, inv_name or "", title or "(untitled task)",
                         by=members[0].name if members else "", ref=f"task:{rowid}",
                         overdue=str(when)[:10] < today_local), members))


def collect(db, since: datetime, until: datetime, team_domains: tuple[str, ...] = (),
            timezone_name: str = "UTC") -> Activity:
    """Everything the digest shows for [since, until). `timezone_name` decides which day a task is
    due on (the window's local days); the rest is in UTC."""
    zone = zone_of(timezone_name)
    start, end = iso(since), iso(until)
    aware = (lambda m: m if m.tzinfo else m.replace(tzinfo=timezone.utc))
    first_day = aware(since).astimezone(zone).date().isoformat()
    last_day = (aware(until) - timedelta(microseconds=1)).astimezone(zone).date().isoformat()
    found: list[tuple[Item, list[MemberDay]]] = []
    with db.read() as conn:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")  # one snapshot for every read below
        try:
            team = _Team(conn, team_domains)
            emails = _emails(conn, team, start, end, iso(aware(since) - LATE_MAIL), found)
            _interactions(conn, team, start, end, found)
            _changes(conn, team, start, end, found)
            automations = _automations(conn, team, start, end, found)
            _tasks(conn, team, last_day, first_day, found)
        finally:
            conn.execute("ROLLBACK")
            conn.execute("PRAGMA query_only = OFF")
    return _assemble(found, team, emails, automations, {"since": start, "until": end})


def _bump(counts: dict, item: Item) -> None:
    if item.kind == "email":
        key = "emails_out" if item.direction == "outbound" else "emails_in"
    elif item.kind in NOTE_KINDS:
        key = "notes"
    elif item.kind == "task":
        key = "tasks"
    else:
        key = "changes"
    counts[key] = counts.get(key, 0) + 1


def _assemble(found, team: _Team, emails: int, automations: list[dict], window: dict) -> Activity:
    investors: dict[str, InvestorDay] = {}
    seen_messages: set[tuple[str, str]] = set()
    member_messages: dict[str, set[str]] = {}
    for item, members in found:
        for member in members:
            member.items.append(item)
            if item.kind == "email":  # a message counts once per member, whatever investors it names
                if item.ref in member_messages.setdefault(member.key, set()):
                    continue
                member_messages[member.key].add(item.ref)
            _bump(member.counts, item)
        if item.investor_id:
            day = investors.get(item.investor_id)
            if day is None:
                day = investors[item.investor_id] = InvestorDay(item.investor_id, item.investor)
            if item.kind == "email":
                if (item.ref, item.investor_id) in seen_messages:
                    continue
                seen_messages.add((item.ref, item.investor_id))
            day.items.append(item)
            counts = day.counts
            if item.kind == "email":
                counts[item.direction] = counts.get(item.direction, 0) + 1
            else:
                _bump(counts, item)
            for name in ([m.name for m in members] or ([item.by] if item.by else [])):
                if name and name not in day.members:
                    day.members.append(name)
    members = [m for m in team.members.values() if m.items]
    for member in members:
        member.items.sort(key=lambda i: i.at)
        tally: dict[str, list] = {}
        for item in member.items:
            if item.investor_id:
                tally.setdefault(item.investor_id, [item.investor, 0])[1] += 1
        member.investors = [(iid, name) for iid, (name, _) in sorted(tally.items(), key=lambda kv: (-kv[1][1], kv[1][0]))]
    weight = lambda counts: sum(counts.values())
    members.sort(key=lambda m: (-weight(m.counts), m.name.lower()))
    days = sorted(investors.values(), key=lambda d: (-weight(d.counts), d.name.lower()))
    for day in days:
        day.items.sort(key=lambda i: i.at)
    items = [i for i, _ in found]
    changes = sum(1 for i in items if i.kind in CHANGE_KINDS)
    totals = {
        "emails": emails,
        "inbound": sum(d.counts.get("inbound", 0) for d in days),
        "outbound": sum(d.counts.get("outbound", 0) for d in days),
        "notes": sum(1 for i in items if i.kind in NOTE_KINDS),
        "changes": changes,
        "members": len(members),
        "investors": len(days),
        "automation_runs": sum(a["runs"] for a in automations),
        "tasks": sum(1 for i in items if i.kind == "task"),
        "tasks_overdue": sum(1 for i in items if i.kind == "task" and i.overdue),
    }
    return Activity(members, days, totals, window, automations)


def build(db, model, since: datetime, until: datetime, timezone: str, public_url: str,
          team_domains: tuple[str, ...] = ()) -> dict:
    """One digest: collected, narrated (the local model, or the structured fallback) and rendered."""
    from . import narrative, render
    activity = collect(db, since, until, team_domains, timezone)
    narratives, source, error = narrative.narrate(activity, model)
    subject, text, html = render.render(activity, narratives, source, public_url, timezone, model_error=error)
    t = activity.totals
    return {"subject": subject, "text": text, "html": html, "narrative": source,
            "window": {**activity.window, "timezone": timezone},
            "stats": {"emails": t["emails"], "notes": t["notes"], "changes": t["changes"], "members": t["members"],
                      "investors": t["investors"], "empty": activity.empty},
            "model_error": error}
