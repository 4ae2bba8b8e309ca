"""The digest on the app (`app.digest`): its policy, a preview over any window, Send now, the test
email, the daily send and the log of everything sent.

Recipients are the active admins and no one else, and every message leaves through the app's
one outbox (which refuses any address outside the team). The daily digest claims its local day
in `digest_sends` before it sends: the unique index lets one claim per day stand, so however
often the scheduler looks, and across restarts, a day goes out once. Its window runs from where
the last daily digest ended (the persisted cursor) to now, so after downtime one digest catches
up (at most a week back). A claim found still "sending" at start-up was cut short mid-send:
nobody can know whether the mail left, so it is marked interrupted and not sent again.
"""
from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import builder
from .. import audit, mailer
from ..db import Database, new_id, utc_now
from ..errors import BadRequest
from ..principal import Principal, system

TRANSPORTS = ("smtp", "gmail")
RETRY_FAILED_AFTER = timedelta(minutes=15)
CATCH_UP_AT_MOST = timedelta(days=7)
LONGEST_WINDOW = timedelta(days=31)
SCHEDULER = system("digest scheduler")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Digests:
    def __init__(self, db: Database, settings, model, outbox: mailer.Outbox,
                 clock: Callable[[], datetime] | None = None):
        self.db, self.settings, self.model, self.outbox = db, settings, model, outbox
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    # --- the policy ------------------------------------------------------------------------------

    def policy(self) -> dict:
        with self.db.read() as conn:
            row = conn.execute("SELECT enabled, hour, timezone, transport, updated_at, updated_by"
                               " FROM digest_policy WHERE id = 1").fetchone()
        zone_name = row[2] or _box_zone_name()
        return {"enabled": bool(row[0]), "hour": row[1], "timezone": zone_name, "timezone_is_box": not row[2],
                "transport": row[3], "updated_at": row[4], "updated_by": row[5],
                "transports": self.outbox.status(), "recipients": self.admins(),
                "next_send_at": self._next_send(bool(row[0]), row[1], row[2]),
                "public_url": self.settings.public_url or None}

    def update_policy(self, actor: Principal, changes: dict) -> dict:
        if "timezone" in changes:
            name = (changes["timezone"] or "").strip()
            if name and name != _box_zone_name():
                _zone(name)  # 400 when unknown
            changes["timezone"] = "" if name in ("", _box_zone_name()) else name
        fields = {k: changes[k] for k in ("enabled", "hour", "timezone", "transport") if k in changes}
        if not fields:
            raise BadRequest("give at least one of enabled, hour, timezone, transport")
        if "enabled" in fields:
            fields["enabled"] = int(bool(fields["enabled"]))
        with self.db.transaction() as conn:
            before = conn.execute("SELECT enabled, hour, timezone, transport FROM digest_policy WHERE id = 1").fetchone()
            sets = ", ".join(f"{k} = ?" for k in fields)
            conn.execute(f"UPDATE digest_policy SET {sets}, updated_at = ?, updated_by = ? WHERE id = 1",
                         (*fields.values(), utc_now(), actor.name))
            old = dict(zip(("enabled", "hour", "timezone", "transport"), before))
            audit.record(conn, actor, "digest.policy_updated", "digest", None,
                         {k: {"old": old[k], "new": v} for k, v in fields.items() if old[k] != v})
        return self.policy()

    def _zone_of_policy(self) -> tzinfo:
        with self.db.read() as conn:
            name = conn.execute("SELECT timezone FROM digest_policy WHERE id = 1").fetchone()[0]
        return _zone(name) if name else _box_zone()

    def _next_send(self, enabled: bool, hour: int, zone_name: str) -> str | None:
        if not enabled:
            return None
        zone = _zone(zone_name) if zone_name else _box_zone()
        now = self.clock()
        local = now.astimezone(zone)
        today_at = datetime.combine(local.date(), time(hour), zone)
        if self._claimed(local.date().isoformat()):
            return _iso(today_at + timedelta(days=1))
        return _iso(now if local >= today_at else today_at)

    # --- recipients --------------------------------------------------------------------------------

    def admins(self) -> list[str]:
        with self.db.read() as conn:
            return [r[0] for r in conn.execute(
                "SELECT email FROM users WHERE role = 'admin' AND is_active = 1 ORDER BY created_at")]

    # --- windows -----------------------------------------------------------------------------------

    def window(self, since: str | None, until: str | None) -> tuple[datetime, datetime]:
        """A window from the request: dates are the policy zone's midnights (`until` a date means
        the end of that day); default today so far."""
        zone, now = self._zone_of_policy(), self.clock()
        start_of_today = datetime.combine(now.astimezone(zone).date(), time(0), zone)
        begin = _moment(since, zone, "since", end_of_day=False) if since else start_of_today
        end = _moment(until, zone, "until", end_of_day=True) if until else now
        if end <= begin:
            raise BadRequest("until must be after since", field="until")
        if end - begin > LONGEST_WINDOW:
            raise BadRequest(f"a digest covers at most {LONGEST_WINDOW.days} days", field="since")
        return begin, end

    def _build(self, begin: datetime, end: datetime) -> dict:
        zone = self._zone_of_policy()
        return builder.build(self.db, self.model if self.model.enabled else None, begin, end,
                             getattr(zone, "key", None) or _box_zone_name(), self.settings.public_url,
                             self.settings.email.team_domains)

    def preview(self, since: str | None, until: str | None) -> dict:
        begin, end = self.window(since, until)
        return self._build(begin, end)

    # --- sending -------------------------------------------------------------------------------------

    def _order(self) -> list[str]:
        with self.db.read() as conn:
            first = conn.execute("SELECT transport FROM digest_policy WHERE id = 1").fetchone()[0]
        return [first] + [t for t in TRANSPORTS if t != first]

    def _claim(self, actor: Principal, kind: str, day: str | None, begin: datetime | None,
               end: datetime | None) -> str:
        send_id = new_id()
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO digest_sends (id, kind, day, window_since, window_until, status, started_at,"
                         " created_by) VALUES (?,?,?,?,?,'sending',?,?)",
                         (send_id, kind, day, begin and _iso(begin), end and _iso(end), _iso(self.clock()), actor.name))
        return send_id

    def _finish(self, actor: Principal, send_id: str, outcome: dict | None, digest: dict | None,
                error: str | None) -> None:
        with self.db.transaction() as conn:
            size = len((digest or {}).get("text", "").encode()) + len((digest or {}).get("html", "").encode())
            conn.execute("UPDATE digest_sends SET status = ?, recipients = ?, transport = ?, narrative = ?,"
                         " size_bytes = ?, subject = ?, error = ?, finished_at = ? WHERE id = ?",
                         ("failed" if error else "sent", json.dumps((outcome or {}).get("sent_to", [])),
                          (outcome or {}).get("transport"), (digest or {}).get("narrative"),
                          size if digest else None, (digest or {}).get("subject"), error, _iso(self.clock()), send_id))
            audit.record(conn, actor, "digest.failed" if error else "digest.sent", "digest", send_id,
                         {"transport": (outcome or {}).get("transport"), "recipients": len((outcome or {}).get("sent_to", [])),
                          **({"error": error} if error else {})})

    def _deliver(self, actor: Principal, send_id: str, digest: dict) -> dict:
        admins = self.admins()
        try:
            if not admins:
                raise mailer.MailError("there is no active admin to send the digest to")
            outcome = self.outbox.send(admins, digest["subject"], digest["text"], digest["html"], order=self._order())
        except mailer.MailError as exc:
            self._finish(actor, send_id, None, digest, str(exc))
            raise
        self._finish(actor, send_id, outcome, digest, None)
        return outcome

    def send_now(self, actor: Principal, since: str | None, until: str | None) -> dict:
        """The digest over a window, to every active admin now; the daily cursor does not move."""
        begin, end = self.window(since, until)
        digest = self._build(begin, end)
        send_id = self._claim(actor, "now", None, begin, end)
        try:
            outcome = self._deliver(actor, send_id, digest)
        except mailer.MailError as exc:
            raise BadRequest(f"the digest was not sent: {exc}", code="mail_failed") from None
        return {"sent_to": outcome["sent_to"], "transport": outcome["transport"], "narrative": digest["narrative"],
                "subject": digest["subject"], "id": send_id}

    def test_email(self, actor: Principal, to: str) -> dict:
        """A short message proving the transport works, only ever to an active admin."""
        address = (to or "").strip()
        if address.casefold() not in {a.casefold() for a in self.admins()}:
            raise BadRequest("a test email goes only to an active admin's address", field="to")
        send_id = self._claim(actor, "test", None, None, None)
        text = ("This is a test of the Venture CRM digest's mail settings. If you can read it, the daily "
                "digest will reach you.\n")
        message = {"subject": "Venture CRM: test email", "text": text, "html": f"<p>{text.strip()}</p>"}
        try:
            outcome = self.outbox.send([address], message["subject"], message["text"], message["html"],
                                       order=self._order())
        except mailer.MailError as exc:
            self._finish(actor, send_id, None, None, str(exc))
            raise BadRequest(f"the test email was not sent: {exc}", code="mail_failed") from None
        self._finish(actor, send_id, outcome, None, None)
        return {"sent_to": outcome["sent_to"], "transport": outcome["transport"]}

    # --- the daily digest --------------------------------------------------------------------------

    def _claimed(self, day: str) -> bool:
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM digest_sends WHERE kind = 'daily' AND day = ? AND status IN"
                                " ('sending', 'sent', 'interrupted')", (day,)).fetchone() is not None

    def due(self, now: datetime | None = None) -> str | None:
        """The local day whose digest should go out now, if any."""
        now = now or self.clock()
        with self.db.read() as conn:
            enabled, hour, name = conn.execute("SELECT enabled, hour, timezone FROM digest_policy WHERE id = 1").fetchone()
            if not enabled:
                return None
            local = now.astimezone(_zone(name) if name else _box_zone())
            day = local.date().isoformat()
            if local.hour < hour:
                return None
            blocking = conn.execute(
                "SELECT status, started_at FROM digest_sends WHERE kind = 'daily' AND day = ? ORDER BY started_at DESC",
                (day,)).fetchall()
        if any(status != "failed" for status, _ in blocking):
            return None
        if blocking and _parse(blocking[0][1]) > now - RETRY_FAILED_AFTER:
            return None  # both transports failed a moment ago: try again in a while, not every minute
        return day

    def _cursor(self, now: datetime, zone: tzinfo) -> datetime:
        with self.db.read() as conn:
            last = conn.execute("SELECT max(window_until) FROM digest_sends WHERE kind = 'daily'"
                                " AND status IN ('sent', 'interrupted')").fetchone()[0]
        start_of_today = datetime.combine(now.astimezone(zone).date(), time(0), zone)
        begin = _parse(last) if last else start_of_today
        return max(begin, now - CATCH_UP_AT_MOST)

    def send_daily(self, now: datetime | None = None) -> dict | None:
        """Send the day's digest if it is due and not yet claimed; None when there is nothing to do."""
        now = now or self.clock()
        day = self.due(now)
        if day is None:
            return None
        begin = self._cursor(now, self._zone_of_policy())
        try:
            send_id = self._claim(SCHEDULER, "daily", day, begin, now)
        except sqlite3.IntegrityError:
            return None  # claimed meanwhile: another look at the same minute
        digest = self._build(begin, now)
        try:
            outcome = self._deliver(SCHEDULER, send_id, digest)
        except mailer.MailError as exc:
            return {"day": day, "error": str(exc)}
        return {"day": day, "id": send_id, "transport": outcome["transport"], "sent_to": outcome["sent_to"]}

    def interrupt_stale(self) -> int:
        """At start-up: claims still "sending" were cut short by a crash or a kill."""
        with self.db.transaction() as conn:
            stale = [r[0] for r in conn.execute("SELECT id FROM digest_sends WHERE status = 'sending'")]
            for send_id in stale:
                conn.execute("UPDATE digest_sends SET status = 'interrupted', finished_at = ?, error = ?"
                             " WHERE id = ?", (utc_now(), "the server stopped while sending; not sent again "
                                               "so that no one gets it twice", send_id))
                audit.record(conn, SCHEDULER, "digest.interrupted", "digest", send_id)
        return len(stale)

    # --- the log -------------------------------------------------------------------------------------

    def log(self, limit: int, offset: int) -> tuple[list[dict], int]:
        with self.db.read() as conn:
            total = conn.execute("SELECT count(*) FROM digest_sends").fetchone()[0]
            rows = conn.execute(
                "SELECT id, kind, day, window_since, window_until, status, recipients, transport, narrative,"
                " size_bytes, subject, error, started_at, finished_at, created_by FROM digest_sends"
                " ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?", (limit, offset)).fetchall()
        keys = ("id", "kind", "day", "since", "until", "status", "recipients", "transport", "narrative",
                "size_bytes", "subject", "error", "started_at", "finished_at", "by")
        out = []
        for row in rows:
            entry = dict(zip(keys, row))
            entry["recipients"] = json.loads(entry["recipients"] or "[]")
            out.append(entry)
        return out, total


def _box_zone_name() -> str:
    """The box's own zone by name (so daylight saving is followed): TZ, else /etc/localtime."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else "")
    except OSError:
        pass
    for name in filter(None, candidates):
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def _box_zone() -> tzinfo:
    return ZoneInfo(_box_zone_name())


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"unknown time zone {name!r} (use a name like Europe/Berlin or America/New_York)",
                         field="timezone") from None


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _moment(text: str, zone: tzinfo, field: str, end_of_day: bool) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), zone)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    except ValueError:
        raise BadRequest(f"{field} must be a date (YYYY-MM-DD) or an ISO date-time", field=field) from None
