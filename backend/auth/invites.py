"""Invitations: the only way in after bootstrap. One-time tokens, stored hashed, with expiry."""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone

from .. import audit, mailer
from . import people
from ..config import Settings
from ..db import Database, new_id, utc_now
from ..errors import ApiError, Conflict, NotFound
from ..principal import Principal

INVITE_FIELDS = "id, email, role, created_at, expires_at, accepted_at, revoked_at, created_by"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _status(accepted_at, revoked_at, expires_at, now: str) -> str:
    if accepted_at:
        return "accepted"
    if revoked_at:
        return "revoked"
    return "expired" if expires_at <= now else "pending"


def _invite_dict(row, now: str) -> dict:
    return {"id": row[0], "email": row[1], "role": row[2], "created_at": row[3],
            "expires_at": row[4], "accepted_at": row[5], "revoked_at": row[6],
            "created_by": row[7], "status": _status(row[5], row[6], row[4], now)}


def invite_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/#/accept-invite?token={token}"


def list_invites(conn: sqlite3.Connection) -> list[dict]:
    now = utc_now()
    return [_invite_dict(r, now) for r in conn.execute(
        f"SELECT {INVITE_FIELDS} FROM invites ORDER BY created_at DESC")]


def create_invite(db: Database, settings: Settings, actor: Principal, email: str, role: str,
                  base_url: str) -> dict:
    """Create an invite (superseding any pending one for the same email); returns it with the
    one-time token and URL, which are never shown again."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    expires = (datetime.now(timezone.utc) + timedelta(hours=settings.invite_ttl_hours)
               ).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with db.transaction() as conn:
        if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise Conflict(f"a user with email '{email}' already exists", field="email")
        superseded = [r[0] for r in conn.execute(
            "SELECT id FROM invites WHERE email = ? AND accepted_at IS NULL AND revoked_at IS NULL"
            " AND expires_at > ?", (email, now))]
        for old_id in superseded:
            conn.execute("UPDATE invites SET revoked_at = ? WHERE id = ?", (now, old_id))
            audit.record(conn, actor, "invite.revoked", "invite", old_id, {"reason": "superseded"})
        invite_id = new_id()
        conn.execute(
            "INSERT INTO invites (id, email, role, token_hash, created_by, created_at, expires_at)"
            " VALUES (?,?,?,?,?,?,?)", (invite_id, email, role, _hash(token), actor.id, now, expires))
        audit.record(conn, actor, "invite.created", "invite", invite_id, {"email": email, "role": role})
        row = conn.execute(f"SELECT {INVITE_FIELDS} FROM invites WHERE id = ?", (invite_id,)).fetchone()
    invite = _invite_dict(row, now)
    invite.update(token=token, url=invite_url(base_url, token))
    return invite


def revoke_invite(db: Database, actor: Principal, invite_id: str) -> dict:
    with db.transaction() as conn:
        row = conn.execute(f"SELECT {INVITE_FIELDS} FROM invites WHERE id = ?", (invite_id,)).fetchone()
        if row is None:
            raise NotFound(f"invite {invite_id} does not exist")
        now = utc_now()
        if _status(row[5], row[6], row[4], now) != "pending":
            raise Conflict(f"invite is already {_status(row[5], row[6], row[4], now)}")
        conn.execute("UPDATE invites SET revoked_at = ? WHERE id = ?", (now, invite_id))
        audit.record(conn, actor, "invite.revoked", "invite", invite_id, {"email": row[1]})
        return _invite_dict(conn.execute(f"SELECT {INVITE_FIELDS} FROM invites WHERE id = ?",
                                         (invite_id,)).fetchone(), now)


def _find_by_token(conn: sqlite3.Connection, token: str):
    row = conn.execute(f"SELECT {INVITE_FIELDS} FROM invites WHERE token_hash = ?",
                       (_hash(token),)).fetchone()
    if row is None:
        raise NotFound("invite link is not valid; ask an admin for a new one", code="invalid_invite")
    return row


def invite_info(conn: sqlite3.Connection, token: str) -> dict:
    """What the accept screen shows: email, role, expiry and status (no ids of the inviter)."""
    invite = _invite_dict(_find_by_token(conn, token), utc_now())
    return {k: invite[k] for k in ("email", "role", "expires_at", "status")}


def accept_invite(db: Database, settings: Settings, token: str, username: str, password: str,
                  ip: str | None) -> dict:
    with db.transaction() as conn:
        row = _find_by_token(conn, token)
        status = _status(row[5], row[6], row[4], utc_now())
        if status != "pending":
            raise ApiError(f"this invite has been {status}; ask an admin for a new one",
                           status=410, code=f"invite_{status}")
        user_id = people.insert_user(conn, settings, username, row[1], password, row[2])
        now = utc_now()
        conn.execute("UPDATE invites SET accepted_at = ?, accepted_user_id = ? WHERE id = ?",
                     (now, user_id, row[0]))
        conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (now, user_id))
        actor = Principal("user", id=user_id, name=username, role=row[2], ip=ip)
        audit.record(conn, actor, "invite.accepted", "invite", row[0], {"user_id": user_id})
        audit.record(conn, actor, "user.created", "user", user_id,
                     {"username": username, "email": row[1], "role": row[2], "via": "invite"})
        return people.session_for(settings, people.get_user_row(conn, user_id))


def send_invite_email(outbox: mailer.Outbox | None, invite: dict, inviter: str) -> tuple[bool, str | None]:
    """Mail the invite link to the invitee through the outbox (the pending invite makes the
    address part of the team) when a transport is set up; returns (sent, error). With none set
    up, nothing is sent and the admin copies the link by hand."""
    if outbox is None or not outbox.available():
        return False, None
    text = (f"{inviter} invited you to Venture CRM as {'an admin' if invite['role'] == 'admin' else 'a member'}.\n\n"
            f"Open this link to choose a username and password:\n{invite['url']}\n\n"
            f"The link works once and expires at {invite['expires_at']} (UTC).\n")
    try:
        outbox.send([invite["email"]], "Your invitation to Venture CRM", text)
    except mailer.MailError as exc:
        return False, str(exc)
    return True, None


class Invites:
    """Invites as the HTTP layer calls them (one service on the app)."""

    def __init__(self, db: Database, settings: Settings, outbox: mailer.Outbox | None = None):
        self.db, self.settings, self.outbox = db, settings, outbox

    def list(self) -> list[dict]:
        with self.db.read() as conn:
            return list_invites(conn)

    def is_pending_email(self, address: str) -> bool:
        """Whether `address` has a pending invite (any case): the outbox's team check."""
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM invites WHERE email = ? AND accepted_at IS NULL AND revoked_at IS NULL"
                                " AND expires_at > ?", (address.strip(), utc_now())).fetchone() is not None

    def info(self, token: str) -> dict:
        with self.db.read() as conn:
            return invite_info(conn, token)

    def create_and_send(self, actor: Principal, email: str, role: str, base_url: str) -> dict:
        """Create the invite, then mail it (after the commit) when a mail transport is set up."""
        invite = create_invite(self.db, self.settings, actor, email, role, base_url)
        sent, error = send_invite_email(self.outbox, invite, actor.name or "An admin")
        return {**invite, "email_sent": sent, "email_error": error}

    def revoke(self, actor: Principal, invite_id: str) -> dict:
        return revoke_invite(self.db, actor, invite_id)

    def accept(self, token: str, username: str, password: str, ip: str | None) -> dict:
        return accept_invite(self.db, self.settings, token, username, password, ip)
