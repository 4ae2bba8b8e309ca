"""The email service on the app: the service-account key and the enrolled mailboxes (delegation
or per-user OAuth), "sync now" and the scheduler, mbox / .eml uploads through the same path as
sync, the proposals a person approves or rejects, and the reads the screens use."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import BinaryIO

from . import crypto, gmail, mime, queries, signals
from .drafts import FollowupDrafts
from .store import BatchCounts, MailStore, RawMessage
from .sync import ACCOUNT_FIELDS, RUN_FIELDS, SyncEngine, _account, run_dict
from .. import audit
from ..config import Settings
from ..db import Database, new_id, utc_now
from ..grid.column_types import SIGNALS, STRENGTHS
from ..errors import BadRequest, Conflict, NotFound, Unprocessable
from ..interactions import log as interaction_log
from ..principal import Principal
from ..validation import EMAIL_RE, parse_json

IMPORT_BATCH = 500            # messages per transaction of an upload
OAUTH_STATE_SECONDS = 900


class EmailCapture:
    def __init__(self, db: Database, grid, settings: Settings, llm=None):
        self.db, self.grid, self.settings = db, grid, settings
        self.config = settings.email
        secrets_dir = settings.data_dir / "secrets"
        self.own_key_path = secrets_dir / "gmail-service-account.json"  # where an upload is kept
        self.email_key_path = secrets_dir / "email.key"
        self.mail = MailStore(db, grid, self.config.team_domains, settings.data_dir / "email_attachments",
                              self.config.max_attachment_bytes)
        self.engine = SyncEngine(db, self.mail, self.client_for, on_investors_changed=self._investors_changed)
        self.imports: dict[str, dict] = {}   # upload id -> progress, for the progress bar
        self.drafts = FollowupDrafts(self, llm)  # follow-ups saved as Gmail drafts (never sent); llm: the app's local model
        self._imports_lock = threading.Lock()
        self._email_key: bytes | None = None
        self._grid_seen: tuple[int, dict | None] = (-1, None)   # grid version and matcher keys last matched
        self._queued = False                 # a "sync now" waiting for the running sync
        self._queue_lock = threading.Lock()
        self._signal_columns: set[str] = set()
        self._signals_day = ""
        db.on_reset(self._forget_grid)

    def _forget_grid(self) -> None:
        self._grid_seen, self._signal_columns, self._signals_day = (-1, None), set(), ""

    # --- credentials -----------------------------------------------------------------------------

    def email_key(self) -> bytes:
        if self._email_key is None:
            try:
                self._email_key = crypto.load_or_create_key(self.email_key_path, self.config.encryption_key)
            except ValueError as exc:
                raise Unprocessable(str(exc)) from None
        return self._email_key

    def managed_key_path(self):
        """The host's key file (CRM_GMAIL_SERVICE_ACCOUNT_FILE) when it exists and is not our own
        upload's file; None otherwise. Checked on every use: a StartOS action may write it while
        the server runs."""
        given = self.config.service_account_file
        if not given:
            return None
        path = Path(given)
        # The container's entrypoint names the data dir's own file when that is the key it found:
        # that key is still the UI's to replace.
        if not path.is_file() or path.resolve() == self.own_key_path.resolve():
            return None
        return path

    @property
    def key_path(self):
        """Where the service-account key is read: the host's file if it has one, else the upload."""
        return self.managed_key_path() or self.own_key_path

    def service_account(self) -> dict | None:
        """The stored key's identity (never the key), or None."""
        try:
            return gmail.validate_service_account_key(json.loads(self.key_path.read_text()))
        except (OSError, ValueError):
            return None

    def save_service_account_key(self, actor: Principal, body: bytes) -> dict:
        managed = self.managed_key_path()
        if managed is not None:
            raise Conflict(f"the service-account key is managed by the box ({managed}, set by "
                           "CRM_GMAIL_SERVICE_ACCOUNT_FILE): replace it there, not here", code="key_managed")
        info = parse_json(body, "service-account key")
        if not isinstance(info, dict):
            raise BadRequest("the service-account key must be the JSON object Google gives you")
        try:
            identity = gmail.validate_service_account_key(info)
        except ValueError as exc:
            raise BadRequest(f"not a usable service-account key: {exc}") from None
        self.own_key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = self.own_key_path.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(info, out)
        os.replace(partial, self.own_key_path)
        with self.db.transaction() as conn:
            audit.record(conn, actor, "email.service_account_saved", "email", None, identity)
        return identity

    def client_for(self, account: dict) -> gmail.GmailClient:
        config = self.config
        if account["auth"] == "delegation":
            try:
                info = json.loads(self.key_path.read_text())
            except (OSError, ValueError):
                raise gmail.AuthFailed(f"{account['email']}: no service-account key is stored") from None
            credentials = gmail.delegated_credentials(info, account["email"], config.token_url or None)
        elif account["auth"] == "oauth":
            with self.db.read() as conn:
                sealed = conn.execute("SELECT refresh_token FROM email_accounts WHERE id = ?",
                                      (account["id"],)).fetchone()[0]
            try:
                token = crypto.open_sealed(self.email_key(), sealed or "", account["email"].lower())
            except ValueError:
                raise gmail.AuthFailed(f"{account['email']}: the stored Google consent cannot be read;"
                                       " connect the mailbox again") from None
            credentials = gmail.oauth_credentials(token, config.oauth_client_id, config.oauth_client_secret,
                                                  config.token_url or None)
        else:
            raise gmail.GmailError(f"{account['email']} is an import-only mailbox")
        return gmail.GmailClient(credentials, api_url=config.gmail_api_url or None, mailbox=account["email"])

    # --- mailboxes -------------------------------------------------------------------------------

    def accounts(self) -> list[dict]:
        with self.db.read() as conn:
            # Distinct emails: a mailbox imported and then synced holds each message twice.
            counts = dict(conn.execute("SELECT account_id, count(DISTINCT message_id) FROM email_sightings"
                                       " GROUP BY account_id"))
            rows = conn.execute(f"SELECT {ACCOUNT_FIELDS} FROM email_accounts WHERE archived_at IS NULL"
                                " ORDER BY email").fetchall()
        out = []
        for row in rows:
            account = _account(row)
            out.append({"id": account["id"], "email": account["email"], "auth": account["auth"],
                        "last_sync_at": account["last_sync_at"], "last_error": account["last_error"],
                        "messages": counts.get(account["id"], 0), "backfill_done": bool(account["backfill_done_at"]),
                        "syncing": self.engine.running == account["email"], "created_at": account["created_at"]})
        return out

    def _upsert_account(self, conn, actor: Principal, email: str, auth: str, sealed: str | None = None) -> str:
        found = conn.execute("SELECT id, auth FROM email_accounts WHERE email = ? AND archived_at IS NULL",
                             (email,)).fetchone()
        if found and found[1] == auth and auth != "oauth":
            raise Conflict(f"{email} is already enrolled", field="email")
        if found:  # an import-only mailbox becomes a synced one (or OAuth consent is renewed)
            conn.execute("UPDATE email_accounts SET auth = ?, refresh_token = coalesce(?, refresh_token),"
                         " last_error = NULL WHERE id = ?", (auth, sealed, found[0]))
            account_id = found[0]
        else:
            account_id = new_id()
            conn.execute("INSERT INTO email_accounts (id, email, auth, refresh_token, created_at, created_by)"
                         " VALUES (?,?,?,?,?,?)", (account_id, email, auth, sealed, utc_now(), actor.name))
        audit.record(conn, actor, "email.account_enrolled", "email_account", account_id, {"email": email, "auth": auth})
        return account_id

    def enrol(self, actor: Principal, email: str) -> dict:
        """Enrol a team mailbox through domain-wide delegation, checking Google accepts it."""
        email = _clean_email(email)
        if self.service_account() is None:
            raise Conflict("upload the Google service-account key first (Settings -> Email)", code="no_key")
        try:
            client = self.client_for({"id": None, "email": email, "auth": "delegation"})
            client.profile()
        except gmail.AuthFailed as exc:
            raise Unprocessable(f"Google refused access to {email}: {exc}. Check that the service account has"
                                " domain-wide delegation for the Gmail readonly and compose scopes.",
                                field="email") from None
        except gmail.GmailError as exc:
            raise Unprocessable(f"could not reach Gmail for {email}: {exc}", field="email") from None
        with self.db.transaction() as conn:
            self._upsert_account(conn, actor, email, "delegation")
        self.sync_now(email)  # the backfill starts at once
        return next(a for a in self.accounts() if a["email"].lower() == email)

    def archive_account(self, actor: Principal, account_id: str) -> dict:
        with self.db.transaction() as conn:
            found = conn.execute("SELECT email FROM email_accounts WHERE id = ? AND archived_at IS NULL",
                                 (account_id,)).fetchone()
            if found is None:
                raise NotFound(f"mailbox {account_id} is not enrolled")
            conn.execute("UPDATE email_accounts SET archived_at = ?, archived_by = ? WHERE id = ?",
                         (utc_now(), actor.name, account_id))
            audit.record(conn, actor, "email.account_archived", "email_account", account_id, {"email": found[0]})
        return {"id": account_id, "email": found[0], "archived": True}

    # --- OAuth consent ---------------------------------------------------------------------------

    def _state(self, user_id: str) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"u": user_id, "e": int(time.time()) + OAUTH_STATE_SECONDS,
                                                       "n": new_id()}).encode()).decode().rstrip("=")
        mac = hmac.new(self.email_key(), payload.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{payload}.{mac}"

    def _check_state(self, state: str) -> str:
        payload, _, mac = (state or "").partition(".")
        expected = hmac.new(self.email_key(), payload.encode(), hashlib.sha256).hexdigest()[:32]
        if not payload or not hmac.compare_digest(mac, expected):
            raise BadRequest("the consent link is not valid; start again from Settings -> Email", field="state")
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if data["e"] < time.time():
            raise BadRequest("the consent link expired; start again from Settings -> Email", field="state")
        return data["u"]

    def oauth_start(self, actor: Principal, redirect_uri: str) -> dict:
        if not self.config.oauth_enabled:
            raise Conflict("per-user Gmail consent is off: set CRM_GMAIL_OAUTH_CLIENT_ID and _SECRET", code="oauth_off")
        return {"url": gmail.oauth_consent_url(self.config.oauth_client_id, redirect_uri, self._state(actor.id),
                                               self.config.auth_url or None)}

    def oauth_callback(self, code: str, state: str, redirect_uri: str) -> dict:
        user_id = self._check_state(state)
        granted = gmail.exchange_oauth_code(code, self.config.oauth_client_id, self.config.oauth_client_secret,
                                            redirect_uri, self.config.token_url or None)
        if not granted.get("refresh_token"):
            raise Unprocessable("Google gave no refresh token; remove the app's access in your Google account"
                                " and connect again")
        credentials = gmail.oauth_credentials(granted["refresh_token"], self.config.oauth_client_id,
                                              self.config.oauth_client_secret, self.config.token_url or None)
        email = _clean_email(gmail.GmailClient(credentials, api_url=self.config.gmail_api_url or None)
                             .profile()["emailAddress"])
        sealed = crypto.seal(self.email_key(), granted["refresh_token"], email)
        with self.db.transaction() as conn:
            name = conn.execute("SELECT username FROM users WHERE id = ?", (user_id,)).fetchone()
            actor = Principal("user", user_id, name[0] if name else "oauth consent")
            self._upsert_account(conn, actor, email, "oauth", sealed)
        return next(a for a in self.accounts() if a["email"].lower() == email)

    # --- sync ------------------------------------------------------------------------------------

    def _enabled(self, synced: list[dict]) -> bool:
        """Capture is on with a service-account key, or once one mailbox is connected by OAuth."""
        return self.service_account() is not None or any(a["auth"] == "oauth" for a in synced)

    def sync_now(self, account: str | None = None) -> dict:
        synced = self.engine.accounts()  # the mailboxes that sync (no message counts needed here)
        if not self._enabled(synced):
            raise Conflict("Gmail sync is off until a service-account key or a connected mailbox exists",
                           code="email_off")
        if account and not any(a["email"].lower() == account.lower() for a in synced):
            raise NotFound(f"{account} is not an enrolled mailbox")
        with self._queue_lock:
            if self.engine.lock.locked():  # asked while a sync runs: one more pass of every mailbox after it
                if self._queued:
                    return {"started": False, "queued": True, "running": True}
                self._queued, account = True, None
            threading.Thread(target=self._sync_when_free, args=(account,), name="email-sync-now",
                             daemon=True).start()
        return {"started": True, "running": True}

    def _sync_when_free(self, account: str | None) -> None:
        try:
            self.engine.sync_all("manual", account, wait=True)
        finally:
            with self._queue_lock:
                self._queued = False

    def status(self) -> dict:
        accounts = self.accounts()
        return {"enabled": self._enabled(accounts), "running": self.engine.lock.locked(),
                "service_account": self.service_account(), "oauth_enabled": self.config.oauth_enabled,
                "team_domains": list(self.config.team_domains), "accounts": accounts}

    def runs(self, limit: int = 50) -> list[dict]:
        with self.db.read() as conn:
            emails = dict(conn.execute("SELECT id, email FROM email_accounts"))
            return [run_dict(r, emails.get(r[1])) for r in conn.execute(
                f"SELECT {RUN_FIELDS} FROM email_sync_runs ORDER BY started_at DESC LIMIT ?", (limit,))]

    def _investors_changed(self, investors: set[str]) -> int:
        """Recompute the relationship signals of investors whose mail changed (when the grid has
        signal columns to hold them)."""
        if not investors or not any(c["type"] in SIGNALS for c in self.grid.columns()):
            return 0
        with self.db.read() as conn:
            names = {r[0].lower(): r[1] for r in conn.execute("SELECT email, username FROM users")}
            values = signals.compute(conn, sorted(investors), names=names)
        return self.grid.set_signals(SIGNALS_ACTOR, values)

    def signals_for(self, investor_id: str) -> dict:
        """One investor's signals now, whether or not the grid has columns for them (the panel)."""
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM investors WHERE id = ?", (investor_id,)).fetchone() is None:
                raise NotFound(f"investor {investor_id} does not exist")
            names = {r[0].lower(): r[1] for r in conn.execute("SELECT email, username FROM users")}
            found = signals.compute(conn, [investor_id], names=names)[investor_id]
        return {**found, "strength_color": STRENGTHS.get(found["relationship_strength"])}

    def refresh_signals(self) -> int:
        """Every investor with mail: after a signal column appears, and daily (90-day counts and
        recency move with the calendar even when no mail arrives)."""
        with self.db.read() as conn:
            investors = {r[0] for r in conn.execute("SELECT DISTINCT investor_id FROM email_links")}
        return self._investors_changed(investors)

    # --- uploads ---------------------------------------------------------------------------------

    def import_mail(self, actor: Principal, stream: BinaryIO, content_type: str, mailbox: str | None,
                    upload_id: str | None = None) -> dict:
        """An mbox (Takeout) or one .eml through the same path as sync, committed in batches (an
        interrupted upload keeps what was stored; sending it again stores only the rest)."""
        if mailbox:
            mailbox = _clean_email(mailbox, field="mailbox")
        started = time.perf_counter()
        progress = {"messages": 0, "bytes": 0, "done": False, "started": True, "at": time.time()}
        if upload_id:
            with self._imports_lock:
                # Finished uploads are forgotten after ten minutes (the screen has read them by then).
                for key in [k for k, v in self.imports.items() if v["done"] and v["at"] < time.time() - 600]:
                    del self.imports[key]
                self.imports[upload_id[:64]] = progress
        counting = io.BufferedReader(_CountingReader(stream, progress), 1 << 16)
        raws = mime.split_mbox(counting) if content_type != "message/rfc822" else iter([counting.read()])
        counts, run_id = BatchCounts(), self._start_import_run()
        accounts: dict[str, dict] = {}
        batch: list[RawMessage] = []
        try:
            for raw in raws:
                if not raw.strip():
                    continue
                parsed = mime.parse_message(raw, self.config.max_attachment_bytes)
                batch.append(RawMessage(raw=raw, source_id="", parsed=parsed))
                if len(batch) >= IMPORT_BATCH:
                    self._import_batch(actor, batch, mailbox, accounts, counts, run_id)
                    progress["messages"] = counts.fetched
                    batch = []
            if batch:
                self._import_batch(actor, batch, mailbox, accounts, counts, run_id)
            if not counts.fetched:
                raise BadRequest("the file holds no email messages")
        finally:
            progress.update(done=True, messages=counts.fetched, at=time.time())
            with self.db.transaction() as conn:
                conn.execute("UPDATE email_sync_runs SET status = ?, finished_at = ?, duration_ms = ?, fetched = ?,"
                             " new = ?, duplicates = ?, matched = ?, errors_json = ? WHERE id = ?",
                             ("ok" if counts.fetched else "error", utc_now(), int((time.perf_counter() - started) * 1000),
                              counts.fetched, counts.new, counts.duplicates, counts.matched,
                              json.dumps(counts.errors[-50:]) if counts.errors else None, run_id))
                audit.record(conn, actor, "email.imported", "email", None,
                             {k: v for k, v in counts.as_dict().items() if k != "errors"} | {"errors": len(counts.errors)})
        self._investors_changed(counts.investors)
        return counts.as_dict()

    def import_progress(self, upload_id: str) -> dict:
        """How far an upload has got; one the server has not started reading yet is not started
        (the browser may ask before its first bytes arrive)."""
        with self._imports_lock:
            found = self.imports.get(upload_id[:64])
        return dict(found) if found else {"messages": 0, "bytes": 0, "done": False, "started": False}

    def _start_import_run(self) -> str:
        run_id = new_id()
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO email_sync_runs (id, kind, trigger, started_at) VALUES (?, 'import', 'upload', ?)",
                         (run_id, utc_now()))
        return run_id

    def _import_batch(self, actor: Principal, batch: list[RawMessage], mailbox: str | None, accounts: dict,
                      counts: BatchCounts, run_id: str) -> None:
        with self.db.transaction() as conn:
            groups: dict[str, list[RawMessage]] = {}
            team = self.mail.team_addresses(conn)
            for item in batch:
                groups.setdefault(mailbox or self._mailbox_of(item.parsed, team), []).append(item)
            for address, items in groups.items():
                if address not in accounts:
                    accounts[address] = self._import_account(conn, actor, address)
                counts.add(self.mail.ingest(conn, accounts[address], items))
            conn.execute("UPDATE email_sync_runs SET fetched = ?, new = ? WHERE id = ?",
                         (counts.fetched, counts.new, run_id))

    def _mailbox_of(self, parsed: mime.ParsedMessage, team: set[str]) -> str:
        """The team mailbox a message belongs to when the upload names none: its team sender, else
        its first team recipient."""
        matcher = self.mail.matcher()
        for address in ([parsed.sender] if parsed.sender else []) + parsed.to + parsed.cc + parsed.bcc:
            if matcher.is_team(address.addr, team):
                return address.addr
        return IMPORTED_MAILBOX

    @staticmethod
    def _import_account(conn, actor: Principal, address: str) -> dict:
        found = conn.execute("SELECT id, email FROM email_accounts WHERE email = ? AND archived_at IS NULL",
                             (address,)).fetchone()
        if found:
            return {"id": found[0], "email": found[1]}
        account_id = new_id()
        conn.execute("INSERT INTO email_accounts (id, email, auth, created_at, created_by) VALUES (?,?,'import',?,?)",
                     (account_id, address, utc_now(), actor.name))
        return {"id": account_id, "email": address}

    # --- proposals -------------------------------------------------------------------------------

    def decide(self, actor: Principal, proposal_id: str, approve: bool) -> dict:
        """Approve (log the touch, or add the person to the investor) or reject a proposal."""
        with self.db.read() as conn:
            found = queries.proposal(conn, proposal_id)
        if found is None:
            raise NotFound(f"proposal {proposal_id} does not exist")
        if found["status"] != "pending":
            raise Conflict(f"this proposal is already {found['status']}", code="decided")
        if approve and found["kind"] == "add_person":
            self._approve_person(actor, found)
        else:
            with self.db.transaction() as conn:
                self._decide_in(conn, actor, found, approve)
        with self.db.read() as conn:
            return queries.proposal(conn, proposal_id)

    def approve_touches(self, actor: Principal, ids: list[str] | None = None) -> dict:
        """Approve many "log a touch" proposals in one transaction: those named, or every pending
        one. People are never added in bulk: each is a decision about who someone is."""
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise BadRequest("'ids' must be a list of proposal ids", field="ids")
        with self.db.read() as conn:
            pending, _ = queries.proposals(conn, "pending", limit=10 ** 6)
        chosen = [p for p in pending if p["kind"] == "log_touch" and (ids is None or p["id"] in ids)]
        if ids is not None and len(chosen) != len(set(ids)):
            known = {p["id"] for p in chosen}
            missing = [i for i in ids if i not in known]
            raise Conflict(f"{len(missing)} of these are not pending touches (decided, people, or unknown):"
                           f" {', '.join(missing[:5])}", code="not_pending", ids=missing)
        with self.db.transaction() as conn:
            for found in chosen:
                self._decide_in(conn, actor, found, True)
        return {"approved": len(chosen)}

    def _decide_in(self, conn, actor: Principal, found: dict, approve: bool) -> None:
        interaction_id = None
        if approve and found["kind"] == "log_touch":  # one interaction for the thread, as of its latest message
            message = conn.execute("SELECT sent_at, direction, from_name, from_addr, subject FROM email_messages"
                                   " WHERE id = ?", (found["message_id"],)).fetchone()
            who = message[2] or message[3] or "someone"
            summary = (f"Email: {message[4] or '(no subject)'} ({found.get('messages') or 1} messages;"
                       f" last {'from' if message[1] == 'inbound' else 'by'} {who})")[:500]
            interaction_id = interaction_log.record(conn, actor, found["investor"]["id"], "email", "gmail", summary,
                                                    occurred_at=message[0], ref={"thread_id": found["thread_id"],
                                                                                 "message_id": found["message_id"]})
        conn.execute("UPDATE email_proposals SET status = ?, decided_at = ?, decided_by = ?, interaction_id = ?"
                     " WHERE id = ? AND status = 'pending'",
                     ("approved" if approve else "rejected", utc_now(), actor.name, interaction_id, found["id"]))
        audit.record(conn, actor, "email.proposal_approved" if approve else "email.proposal_rejected",
                     "investor", found["investor"]["id"], {"proposal": found["id"], "kind": found["kind"],
                                                           "summary": found["summary"]})

    def _approve_person(self, actor: Principal, found: dict) -> None:
        """Add the person through the grid (its audit and change feed), the decision in the same
        transaction, then match their mail exactly."""
        person = {"name": found.get("name") or "", "email": found["address"]}

        def add(current: list | None) -> list:
            people = list(current or [])
            if any((p.get("email") or "").lower() == person["email"] for p in people):
                return people
            return people + [person]
        self.grid.update_people(actor, found["investor"]["id"], add,
                                then=lambda conn: self._decide_in(conn, actor, found, True))
        self._investors_changed(self.mail.rematch(addresses={person["email"]}).investors)

    def rematch_all(self) -> dict:
        counts = self.mail.rematch()
        self._investors_changed(counts.investors)
        return {"changed": counts.fetched, "newly_matched": counts.matched}

    def follow_the_grid(self) -> dict | None:
        """Re-match the mail of the addresses and domains whose investors changed since the last
        look (a person added, an email corrected, an investor archived). The first look after a
        start matches everything once: what changed while the server was down is unknown."""
        signal_columns = {c["id"] for c in self.grid.columns() if c["type"] in SIGNALS}
        today = utc_now()[:10]
        if signal_columns - self._signal_columns or today != self._signals_day:
            self._signal_columns, self._signals_day = signal_columns, today
            self.refresh_signals()
        version = self.grid.version()
        if version == self._grid_seen[0]:
            return None
        keys = self.mail.matcher().keys()
        previous = self._grid_seen[1]
        self._grid_seen = (version, keys)
        if previous is None:
            counts = self.mail.rematch() if self._has_mail() else None
        else:
            changed = {k for k in keys.keys() | previous.keys() if keys.get(k) != previous.get(k)}
            if not changed:
                return None
            counts = self.mail.rematch(addresses={k for k in changed if not k.startswith("@")},
                                       domains={k[1:] for k in changed if k.startswith("@")})
        if counts is None:
            return None
        self._investors_changed(counts.investors)
        return {"changed": counts.fetched, "newly_matched": counts.matched}

    def _has_mail(self) -> bool:
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM email_messages LIMIT 1").fetchone() is not None

    # --- reads -----------------------------------------------------------------------------------

    def read(self, fn, *args, **kwargs):
        with self.db.read() as conn:
            return fn(conn, *args, **kwargs)

    def message(self, message_row: str) -> dict:
        found = self.read(queries.message, message_row)
        if found is None:
            raise NotFound(f"message {message_row} does not exist")
        return found

    def thread(self, thread_id: str) -> dict:
        found = self.read(queries.thread, thread_id)
        if found is None:
            raise NotFound(f"thread {thread_id} does not exist")
        return found

    def attachment(self, attachment_id: str) -> tuple[str, str, bytes]:
        with self.db.read() as conn:
            row = conn.execute("SELECT a.filename, a.content_type, a.sha256 FROM email_attachments a JOIN email_messages m"
                               " ON m.id = a.message_id WHERE a.id = ? AND m.archived_at IS NULL",
                               (attachment_id,)).fetchone()
        if row is None:
            raise NotFound(f"attachment {attachment_id} does not exist")
        if row[2] is None:
            raise NotFound(f"{row[0]} was not kept (too large, or on mail no investor matched)")
        return row[0], row[1], self.mail.blob_path(row[2]).read_bytes()

    def people(self, text: str | None = None) -> list[dict]:
        columns = self.grid.columns()
        people_col = next((c["id"] for c in columns if c["type"] == "contacts"), None)
        name_col = next(c["id"] for c in columns if c.get("primary"))
        found = []
        if people_col:
            for investor_id, values in self.grid.live_rows():
                for person in values.get(people_col) or []:
                    found.append({**person, "investor_id": investor_id, "investor_name": values.get(name_col)})
        return self.read(queries.people, found, text)


IMPORTED_MAILBOX = "imported@venture-crm.invalid"
SIGNALS_ACTOR = Principal("system", name="email signals")


def _clean_email(value, field: str = "email") -> str:
    text = (value or "").strip().lower() if isinstance(value, str) else ""
    if not EMAIL_RE.match(text):
        raise BadRequest(f"'{value}' is not an email address", field=field)
    return text


class _CountingReader(io.RawIOBase):
    """The upload as it is read, counting bytes for the progress bar."""

    def __init__(self, stream: BinaryIO, progress: dict):
        self.stream, self.progress = stream, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[:len(data)] = data
        self.progress["bytes"] += len(data)
        return len(data)


