"""Gmail sync: a paged, resumable backfill of each enrolled mailbox, then incremental sync through
the History API from a stored cursor (a full re-sync when Google says the cursor expired), every
run recorded with its counts, errors and duration.

Safe to kill at any instant: each page of messages commits in one transaction together with the
cursor that follows it, and a message already sighted in a mailbox is never fetched or stored
again, so a re-run resumes where the last commit left off."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime, timezone

from . import gmail
from .store import BatchCounts, MailStore, RawMessage
from ..db import Database, new_id, utc_now
from ..periodic import PeriodicThread

PAGE_SIZE = 100          # messages per list page, fetched in batches and committed together


class SyncEngine:
    """Runs syncs for the enrolled mailboxes; `clients` makes a GmailClient for an account."""

    def __init__(self, db: Database, mail: MailStore, clients, on_investors_changed=None):
        self.db, self.mail, self.clients = db, mail, clients
        self.on_investors_changed = on_investors_changed or (lambda investors: None)
        self.lock = threading.Lock()           # one sync at a time (the scheduler and "Sync now")
        self.running: str | None = None        # the mailbox being synced, for the status screen

    def interrupt_stale_runs(self) -> int:
        """Runs a killed process left 'running' are marked interrupted (their work is committed
        page by page; the next run carries on)."""
        with self.db.transaction() as conn:
            return conn.execute("UPDATE email_sync_runs SET status = 'interrupted', finished_at = ?"
                                " WHERE status = 'running'", (utc_now(),)).rowcount

    def accounts(self) -> list[dict]:
        with self.db.read() as conn:
            return [_account(r) for r in conn.execute(
                f"SELECT {ACCOUNT_FIELDS} FROM email_accounts WHERE archived_at IS NULL AND auth != 'import'"
                " ORDER BY email")]

    def sync_all(self, trigger: str = "schedule", only: str | None = None, wait: bool = False) -> list[dict]:
        """Sync every enrolled mailbox (or `only` that address); one failing mailbox does not stop
        the others. Returns the runs; none when another sync is running (unless `wait`)."""
        if not self.lock.acquire(blocking=wait):
            return []
        try:
            runs = []
            for account in self.accounts():
                if only and account["email"].lower() != only.lower():
                    continue
                runs.append(self.sync_account(account, trigger))
            return runs
        finally:
            self.lock.release()

    def sync_account(self, account: dict, trigger: str) -> dict:
        started = time.perf_counter()
        kind = "incremental" if account["history_id"] else "backfill"
        run_id = self._start_run(account, kind, trigger)
        counts, status, error = BatchCounts(), "ok", None
        self.running = account["email"]
        client = None
        try:
            client = self.clients(account)
            if account["history_id"]:
                try:
                    self._incremental(client, account, run_id, counts)
                except gmail.CursorExpired:
                    kind = "resync"
                    self._forget_cursor(account, run_id)
                    account = {**account, "history_id": None, "backfill_token": None}
                    self._backfill(client, account, run_id, counts)
            else:
                self._backfill(client, account, run_id, counts)
            self._fetch_missing_bodies(client, account, counts)
        except gmail.GmailError as exc:
            status, error = "error", str(exc)
        finally:
            self.running = None
            if client is not None:
                client.close()
        if counts.errors and status == "ok" and not counts.new and counts.fetched == len(counts.errors):  # all bad
            status, error = "error", counts.errors[0]["message"]
        run = self._finish_run(account, run_id, kind, status, error, counts, started)
        if counts.investors:
            self.on_investors_changed(counts.investors)
        return run

    # --- the two kinds of pass ------------------------------------------------------------------

    def _backfill(self, client: gmail.GmailClient, account: dict, run_id: str, counts: BatchCounts) -> None:
        token = account["backfill_token"]
        if token is None:  # a new backfill: what arrives meanwhile is picked up from this cursor
            history_id = str(client.profile().get("historyId") or "")
            with self.db.transaction() as conn:
                conn.execute("UPDATE email_accounts SET backfill_history_id = ? WHERE id = ?",
                             (history_id, account["id"]))
            account = {**account, "backfill_history_id": history_id}
        while True:
            listed, token = client.list_message_ids(page_token=token, page_size=PAGE_SIZE)
            done = token is None
            self._store_page(client, account, run_id, [m["id"] for m in listed], counts, {
                "backfill_token": token,
                **({"history_id": account["backfill_history_id"], "backfill_done_at": utc_now()} if done else {})})
            if done:
                return

    def _incremental(self, client: gmail.GmailClient, account: dict, run_id: str, counts: BatchCounts) -> None:
        token, cursor = None, account["history_id"]
        while True:
            added, token, history_id = client.history(cursor, page_token=token)
            # The cursor moves only after the last page: a pass cut short repeats (idempotently).
            self._store_page(client, account, run_id, added, counts,
                             {"history_id": history_id} if token is None else {})
            if token is None:
                return

    def _store_page(self, client, account: dict, run_id: str, ids: list[str], counts: BatchCounts,
                    cursor: dict) -> None:
        """Fetch the page's messages this mailbox has not given us yet and store them, the run's
        counts and the cursor in one transaction."""
        ids = list(dict.fromkeys(ids))
        with self.db.read() as conn:
            known = _known(conn, account["id"], ids)
        fresh = [i for i in ids if i not in known]
        fetched = client.get_raw_messages(fresh) if fresh else {}
        # Drafts are not mail anyone received (and the product's own follow-up drafts land here).
        items = [RawMessage(raw=m["raw"], source_id=gid, gmail_thread_id=m.get("threadId"),
                            labels=list(m.get("labelIds") or []), internal_date=_internal_date(m.get("internalDate")))
                 for gid, m in fetched.items() if "DRAFT" not in (m.get("labelIds") or ())]
        with self.db.transaction() as conn:
            page = self.mail.ingest(conn, account, items)
            page.duplicates += len(known)
            page.fetched += len(known)
            if cursor:
                sets = ", ".join(f"{k} = ?" for k in cursor)
                conn.execute(f"UPDATE email_accounts SET {sets} WHERE id = ?", (*cursor.values(), account["id"]))
            counts.add(page)
            _save_counts(conn, run_id, counts)

    def _fetch_missing_bodies(self, client, account: dict, counts: BatchCounts) -> None:
        """Mail matched after it was stored without its body (a person added later): fetch it."""
        with self.db.read() as conn:
            pending = conn.execute(
                "SELECT s.source_id, m.id FROM email_messages m JOIN email_sightings s ON s.message_id = m.id"
                " WHERE m.body_pending = 1 AND s.account_id = ? AND s.source_id NOT LIKE 'import:%' LIMIT 500",
                (account["id"],)).fetchall()
        if not pending:
            return
        fetched = client.get_raw_messages([p[0] for p in pending])
        with self.db.transaction() as conn:
            for gmail_id, message_row in pending:
                if gmail_id in fetched:
                    self.mail.fill_body(conn, message_row, fetched[gmail_id]["raw"])

    # --- bookkeeping ----------------------------------------------------------------------------

    def _start_run(self, account: dict, kind: str, trigger: str) -> str:
        run_id = new_id()
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO email_sync_runs (id, account_id, kind, trigger, started_at) VALUES (?,?,?,?,?)",
                         (run_id, account["id"], kind, trigger, utc_now()))
        return run_id

    def _forget_cursor(self, account: dict, run_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE email_accounts SET history_id = NULL, backfill_token = NULL, backfill_done_at = NULL"
                         " WHERE id = ?", (account["id"],))
            conn.execute("UPDATE email_sync_runs SET kind = 'resync' WHERE id = ?", (run_id,))

    def _finish_run(self, account: dict, run_id: str, kind: str, status: str, error: str | None,
                    counts: BatchCounts, started: float) -> dict:
        now, duration = utc_now(), int((time.perf_counter() - started) * 1000)
        if error:  # kept with the run, so its history says why it failed
            counts.errors.append({"message": error, "fatal": True})
        with self.db.transaction() as conn:
            _save_counts(conn, run_id, counts)
            conn.execute("UPDATE email_sync_runs SET status = ?, finished_at = ?, duration_ms = ?, kind = ?"
                         " WHERE id = ?", (status, now, duration, kind, run_id))
            conn.execute("UPDATE email_accounts SET last_sync_at = ?, last_error = ? WHERE id = ?",
                         (now, error, account["id"]))
            return run_dict(conn.execute(f"SELECT {RUN_FIELDS} FROM email_sync_runs WHERE id = ?", (run_id,)).fetchone(),
                            account["email"])


class GridWatcher(PeriodicThread):
    """Every few seconds: re-match stored mail when the grid's people changed (cheap when not)."""

    def __init__(self, follow, interval: float = 5.0):
        super().__init__("email-rematch", interval, first_delay=interval)
        self.follow = follow

    def run_once(self):
        return self.follow()


class SyncScheduler(PeriodicThread):
    """Every `interval` seconds: sync every enrolled mailbox."""

    def __init__(self, engine: SyncEngine, interval: float, first_delay: float = 10.0):
        super().__init__("email-sync", interval, first_delay)
        self.engine = engine

    def run_once(self) -> list[dict]:
        return self.engine.sync_all("schedule")


ACCOUNT_FIELDS = ("id, email, auth, history_id, backfill_token, backfill_history_id, backfill_done_at,"
                  " last_sync_at, last_error, created_at, refresh_token IS NOT NULL")
RUN_FIELDS = ("id, account_id, kind, trigger, started_at, finished_at, status, fetched, new, duplicates, matched,"
              " errors_json, duration_ms")


def _account(row) -> dict:
    keys = [k.strip() for k in ACCOUNT_FIELDS.split(",")]
    out = dict(zip(keys[:-1], row[:-1]))
    out["has_refresh_token"] = bool(row[-1])
    return out


def run_dict(row, email: str | None) -> dict:
    errors = json.loads(row[11]) if row[11] else []
    error = next((e["message"] for e in errors if e.get("fatal")), None)
    return {"id": row[0], "account_id": row[1], "account": email, "kind": row[2], "trigger": row[3],
            "started_at": row[4], "finished_at": row[5], "status": row[6], "fetched": row[7], "new": row[8],
            "duplicates": row[9], "matched": row[10], "errors": errors, "error": error, "duration_ms": row[12]}


def _save_counts(conn: sqlite3.Connection, run_id: str, counts: BatchCounts) -> None:
    conn.execute("UPDATE email_sync_runs SET fetched = ?, new = ?, duplicates = ?, matched = ?, errors_json = ?"
                 " WHERE id = ?", (counts.fetched, counts.new, counts.duplicates, counts.matched,
                                   json.dumps(counts.errors[-50:]) if counts.errors else None, run_id))


def _known(conn: sqlite3.Connection, account_id: str, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        known.update(r[0] for r in conn.execute(
            f"SELECT source_id FROM email_sightings WHERE account_id = ? AND source_id IN ({','.join('?' * len(chunk))})",
            (account_id, *chunk)))
    return known


def _internal_date(value) -> str | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return None
