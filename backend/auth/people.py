"""People and sessions: password hashes, login tokens, revocation and user management.

Tokens are HS256 JWTs naming the user and the user's `token_version`; every request re-reads
the user, so deactivation, role changes and logout (which bumps the version) take effect at once.
"""
from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
import uuid

import bcrypt
import jwt

from .. import audit
from ..config import Settings
from ..db import Database, new_id, utc_now
from ..errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from ..principal import Principal
from ..validation import Field

ROLES = ("admin", "member")
PASSWORD = Field("password", required=True, min_length=8, max_length=256,
                 description="At least 8 characters.")
USER_FIELDS = "id, username, email, role, is_active, created_at, updated_at, last_login_at, token_version"

# A real hash of a random password: verifying against it when the account does not exist keeps
# the response time of "no such user" equal to "wrong password".
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(4)).decode()


def _prehash(password: str) -> bytes:
    # bcrypt reads at most 72 bytes; hashing first lets long passphrases count in full.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode())
    except ValueError:
        return False


def user_dict(row) -> dict:
    return {"id": row[0], "username": row[1], "email": row[2], "role": row[3],
            "is_active": bool(row[4]), "created_at": row[5], "updated_at": row[6],
            "last_login_at": row[7]}


def get_user_row(conn: sqlite3.Connection, user_id: str):
    return conn.execute(f"SELECT {USER_FIELDS} FROM users WHERE id = ?", (user_id,)).fetchone()


def get_user(conn: sqlite3.Connection, user_id: str) -> dict:
    row = get_user_row(conn, user_id)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return user_dict(row)


def list_users(conn: sqlite3.Connection) -> list[dict]:
    return [user_dict(r) for r in conn.execute(
        f"SELECT {USER_FIELDS} FROM users ORDER BY is_active DESC, username COLLATE NOCASE")]


def setup_required(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1


# --- tokens -----------------------------------------------------------------------------------

def issue_token(settings: Settings, user_id: str, token_version: int) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "tv": token_version, "iat": now, "jti": str(uuid.uuid4()),
              "exp": now + int(settings.token_ttl_hours * 3600), "typ": "access"}
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def authenticate_bearer(conn: sqlite3.Connection, settings: Settings, token: str, ip: str | None) -> Principal:
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "iat"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("session expired; sign in again", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid token", code="invalid_token") from None
    if claims.get("typ") != "access" or not isinstance(claims.get("tv"), int):
        raise Unauthorized("invalid token", code="invalid_token")
    row = conn.execute("SELECT id, username, role, is_active, token_version FROM users WHERE id = ?",
                       (claims["sub"],)).fetchone()
    if row is None or not row[3]:
        raise Unauthorized("account is not active", code="inactive_account")
    if row[4] != claims["tv"]:
        raise Unauthorized("session was signed out; sign in again", code="token_revoked")
    return Principal("user", id=row[0], name=row[1], role=row[2], ip=ip)


def session_for(settings: Settings, row) -> dict:
    """The auth response shape: {token, user} (no envelope, per the contract)."""
    return {"token": issue_token(settings, row[0], row[8]), "user": user_dict(row)}


# --- creating and changing people ------------------------------------------------------------

def insert_user(conn, settings: Settings, username: str, email: str, password: str, role: str) -> str:
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(f"username '{username}' is already taken", field="username")
    if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
        raise Conflict(f"a user with email '{email}' already exists", field="email")
    user_id, now = new_id(), utc_now()
    conn.execute(
        "INSERT INTO users (id, username, email, password_hash, role, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?)",
        (user_id, username, email, hash_password(password, settings.bcrypt_rounds), role, now, now))
    return user_id


def register_first_user(db: Database, settings: Settings, username: str, email: str,
                        password: str, ip: str | None) -> dict:
    """Bootstrap: only while no user exists; the first user is an admin."""
    with db.transaction() as conn:
        if not setup_required(conn):
            raise Forbidden("setup is complete; ask an admin for an invite", code="setup_complete")
        user_id = insert_user(conn, settings, username, email, password, "admin")
        conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (utc_now(), user_id))
        actor = Principal("user", id=user_id, name=username, role="admin", ip=ip)
        audit.record(conn, actor, "auth.bootstrap", "user", user_id, {"username": username, "email": email})
        return session_for(settings, get_user_row(conn, user_id))


def login(db: Database, settings: Settings, identifier: str, password: str, ip: str | None) -> dict:
    """Check a password for a username or email; raises Unauthorized with one message for all
    failures so the response does not reveal which accounts exist."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT id, password_hash, is_active FROM users WHERE username = ? OR email = ?",
            (identifier, identifier)).fetchone()
    if row is None:
        verify_password(password, _DUMMY_HASH)
        raise Unauthorized("invalid username or password", code="invalid_credentials")
    if not verify_password(password, row[1]) or not row[2]:
        raise Unauthorized("invalid username or password", code="invalid_credentials")
    with db.transaction() as conn:
        conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (utc_now(), row[0]))
        user = get_user_row(conn, row[0])
        audit.record(conn, Principal("user", id=user[0], name=user[1], role=user[3], ip=ip),
                     "auth.login", "user", user[0])
        return session_for(settings, user)


def logout(db: Database, actor: Principal) -> None:
    """Revoke every token of this user issued before now."""
    with db.transaction() as conn:
        conn.execute("UPDATE users SET token_version = token_version + 1, updated_at = ? WHERE id = ?",
                     (utc_now(), actor.id))
        audit.record(conn, actor, "auth.logout", "user", actor.id)


def change_own_password(db: Database, settings: Settings, actor: Principal, current: str, new: str) -> dict:
    """Change the caller's password; signs out every other session and returns a fresh one."""
    with db.transaction() as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE id = ?", (actor.id,)).fetchone()
        if stored is None or not verify_password(current, stored[0]):
            raise BadRequest("current password is incorrect", field="current_password")
        conn.execute(
            "UPDATE users SET password_hash = ?, token_version = token_version + 1, updated_at = ?"
            " WHERE id = ?", (hash_password(new, settings.bcrypt_rounds), utc_now(), actor.id))
        audit.record(conn, actor, "user.password_changed", "user", actor.id)
        return session_for(settings, get_user_row(conn, actor.id))


def create_user(db: Database, settings: Settings, actor: Principal, username: str, email: str,
                password: str, role: str) -> dict:
    with db.transaction() as conn:
        user_id = insert_user(conn, settings, username, email, password, role)
        audit.record(conn, actor, "user.created", "user", user_id,
                     {"username": username, "email": email, "role": role})
        return get_user(conn, user_id)


def _active_admins_besides(conn, user_id: str) -> int:
    return conn.execute("SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1 AND id != ?",
                        (user_id,)).fetchone()[0]


def update_user(db: Database, settings: Settings, actor: Principal, user_id: str, changes: dict) -> dict:
    """Admin edit of role, is_active, email or password. Demoting or deactivating the last
    active admin is refused; a password reset or deactivation signs the user out everywhere."""
    with db.transaction() as conn:
        before = get_user(conn, user_id)
        loses_admin = before["role"] == "admin" and before["is_active"] and (
            changes.get("role", "admin") != "admin" or changes.get("is_active", True) is False)
        if loses_admin and _active_admins_besides(conn, user_id) == 0:
            raise Conflict("cannot demote or deactivate the last active admin", code="last_admin")
        sets, args, logged = [], [], {}
        for key in ("role", "is_active", "email"):
            if key in changes and changes[key] != before[key]:
                if key == "email" and conn.execute(
                        "SELECT 1 FROM users WHERE email = ? AND id != ?", (changes[key], user_id)).fetchone():
                    raise Conflict(f"a user with email '{changes[key]}' already exists", field="email")
                sets.append(f"{key} = ?")
                args.append(int(changes[key]) if key == "is_active" else changes[key])
                logged[key] = {"old": before[key], "new": changes[key]}
        if "password" in changes:
            sets.append("password_hash = ?")
            args.append(hash_password(changes["password"], settings.bcrypt_rounds))
            logged["password"] = "reset"
        if "password" in changes or changes.get("is_active") is False:
            sets.append("token_version = token_version + 1")
        if not sets:
            return before
        sets.append("updated_at = ?")
        conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", (*args, utc_now(), user_id))
        audit.record(conn, actor, "user.updated", "user", user_id, logged)
        return get_user(conn, user_id)


class Accounts:
    """People and their sessions, as the HTTP layer calls them (one service on the app)."""

    def __init__(self, db: Database, settings: Settings):
        self.db, self.settings = db, settings

    def setup_required(self) -> bool:
        with self.db.read() as conn:
            return setup_required(conn)

    def get(self, user_id: str) -> dict:
        with self.db.read() as conn:
            return get_user(conn, user_id)

    def list(self) -> list[dict]:
        with self.db.read() as conn:
            return list_users(conn)

    def is_active_email(self, address: str) -> bool:
        """Whether `address` is an active account's email (any case): the outbox's team check."""
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM users WHERE email = ? AND is_active = 1",
                                (address.strip(),)).fetchone() is not None

    def authenticate(self, conn: sqlite3.Connection, token: str, ip: str | None) -> Principal:
        return authenticate_bearer(conn, self.settings, token, ip)

    def register_first(self, username: str, email: str, password: str, ip: str | None) -> dict:
        return register_first_user(self.db, self.settings, username, email, password, ip)

    def login(self, identifier: str, password: str, ip: str | None) -> dict:
        return login(self.db, self.settings, identifier, password, ip)

    def logout(self, actor: Principal) -> None:
        logout(self.db, actor)

    def change_password(self, actor: Principal, current: str, new: str) -> dict:
        return change_own_password(self.db, self.settings, actor, current, new)

    def create(self, actor: Principal, username: str, email: str, password: str, role: str) -> dict:
        return create_user(self.db, self.settings, actor, username, email, password, role)

    def update(self, actor: Principal, user_id: str, changes: dict) -> dict:
        return update_user(self.db, self.settings, actor, user_id, changes)
