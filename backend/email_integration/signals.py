"""Relationship signals per investor, from the metadata of its matched mail (who wrote to whom,
when; never what was written): the last inbound and outbound email, emails either way in the
last 90 days, who on the team knows them best, and a five-level strength.

Strength is a score out of 8, from three parts (docs/email.md has the table):
  recency of the last email either way: 7 days 3, 30 days 2, 90 days 1, a year 0.5;
  frequency, emails in 90 days: 12+ 3, 6+ 2, 2+ 1, 1 0.5;
  reciprocity: mail both ways in the last 180 days 2, one way only 0.
Very strong >= 6.5, Strong >= 5, Medium >= 3, Weak >= 1.5, else Very weak (any mail ever); an
investor with no mail has no strength (an empty cell, not "Very weak").

"Knows them best" is the team member with the most mail with the investor, each email weighted
by half for every 90 days of age (a year-old thread counts a sixteenth of today's): the sender of
outbound mail, the team recipients of inbound mail."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

HALF_LIFE_DAYS = 90.0
RECENCY = ((7, 3.0), (30, 2.0), (90, 1.0), (365, 0.5))
FREQUENCY = ((12, 3.0), (6, 2.0), (2, 1.0), (1, 0.5))
RECIPROCITY_DAYS, RECIPROCITY_POINTS = 180, 2.0
LEVELS = ((6.5, "Very strong"), (5.0, "Strong"), (3.0, "Medium"), (1.5, "Weak"), (0.0, "Very weak"))


def _age_days(at: str, now: datetime) -> float:
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return 10 ** 6
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (now - when).total_seconds() / 86400)


def strength(last_days: float | None, touches_90d: int, inbound_days: float | None,
             outbound_days: float | None) -> str | None:
    """The level for an investor's mail (None: no mail at all)."""
    if last_days is None:
        return None
    score = next((points for days, points in RECENCY if last_days <= days), 0.0)
    score += next((points for count, points in FREQUENCY if touches_90d >= count), 0.0)
    if (inbound_days is not None and inbound_days <= RECIPROCITY_DAYS
            and outbound_days is not None and outbound_days <= RECIPROCITY_DAYS):
        score += RECIPROCITY_POINTS
    return next(level for floor, level in LEVELS if score >= floor)


def compute(conn: sqlite3.Connection, investor_ids: list[str], now: datetime | None = None,
            names: dict[str, str] | None = None) -> dict[str, dict]:
    """{investor id: {signal type: value}} for `investor_ids` (every signal None when an
    investor has no mail). `names` turns a team address into a person's name."""
    now = now or datetime.now(timezone.utc)
    names = names or {}
    out: dict[str, dict] = {}
    for start in range(0, len(investor_ids), 500):
        chunk = investor_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        mail: dict[str, list[tuple[str, str, str]]] = {i: [] for i in chunk}
        for investor_id, message_row, sent_at, direction in conn.execute(
                f"SELECT l.investor_id, m.id, m.sent_at, m.direction FROM email_links l"
                f" JOIN email_messages m ON m.id = l.message_id AND m.archived_at IS NULL"
                f" WHERE l.archived_at IS NULL AND m.direction != 'internal' AND l.investor_id IN ({marks})", chunk):
            mail[investor_id].append((message_row, sent_at, direction))
        team = _team_people(conn, [m[0] for rows in mail.values() for m in rows])
        for investor_id, rows in mail.items():
            out[investor_id] = _signals(rows, team, now, names)
    return out


def _team_people(conn: sqlite3.Connection, message_rows: list[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(message_rows), 500):
        chunk = message_rows[start:start + 500]
        for message_row, role, addr in conn.execute(
                f"SELECT message_id, role, addr FROM email_participants WHERE team = 1 AND message_id IN"
                f" ({','.join('?' * len(chunk))})", chunk):
            found.setdefault(message_row, []).append((role, addr))
    return found


def _signals(rows: list[tuple[str, str, str]], team: dict, now: datetime, names: dict[str, str]) -> dict:
    last_in = max((r[1] for r in rows if r[2] == "inbound"), default=None)
    last_out = max((r[1] for r in rows if r[2] == "outbound"), default=None)
    touches = sum(1 for r in rows if _age_days(r[1], now) <= 90)
    weights: dict[str, float] = {}
    for message_row, sent_at, direction in rows:
        weight = 0.5 ** (_age_days(sent_at, now) / HALF_LIFE_DAYS)
        for role, addr in team.get(message_row, ()):
            if (direction == "outbound" and role == "from") or (direction == "inbound" and role in ("to", "cc")):
                weights[addr] = weights.get(addr, 0.0) + weight
    best = max(sorted(weights), key=weights.get) if weights else None
    last = max(filter(None, (last_in, last_out)), default=None)
    return {
        "last_inbound": last_in, "last_outbound": last_out, "touches_90d": touches if rows else None,
        "knows_best": names.get(best, best) if best else None,
        "relationship_strength": strength(_age_days(last, now) if last else None, touches,
                                          _age_days(last_in, now) if last_in else None,
                                          _age_days(last_out, now) if last_out else None),
    }
