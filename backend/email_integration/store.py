"""Captured mail in the database: one path for every message, whether Gmail sync or an upload
brought it — parse, deduplicate by Message-ID across mailboxes, thread, match to investors, keep
the body only when matched, raise proposals — and re-matching when the grid's people change.

Callers hand a batch of raw messages and get counts back; a batch is one transaction together
with whatever the caller records beside it (a sync cursor, a run's counts), so a sync killed at
any instant resumes at the last committed batch and never stores a message twice."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import html_clean, matching, mime
from ..db import Database, new_id, utc_now

SIGHTING_IMPORT = "import:"
REMATCH_BATCH = 500


@dataclass
class RawMessage:
    """One message as a mailbox holds it: the bytes and where they were seen."""
    raw: bytes
    source_id: str                     # the Gmail id, or "import:<Message-ID>" (set by the store when None)
    gmail_thread_id: str | None = None
    labels: list[str] = field(default_factory=list)
    internal_date: str | None = None   # when Gmail received it (ISO), for mail with no usable Date
    parsed: mime.ParsedMessage | None = None  # already parsed by the caller (an import looking for its mailbox)


@dataclass
class BatchCounts:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    errors: list[dict] = field(default_factory=list)
    investors: set = field(default_factory=set)   # investors whose mail changed (their signals move)

    def add(self, other: "BatchCounts") -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.duplicates += other.duplicates
        self.matched += other.matched
        self.errors += other.errors
        self.investors |= other.investors

    def as_dict(self) -> dict:
        return {"messages": self.fetched, "new": self.new, "duplicates": self.duplicates,
                "matched": self.matched, "unmatched": self.new - self.matched, "errors": self.errors}


class MailStore:
    """Writes captured mail. `grid` is read for matching (its people and websites)."""

    def __init__(self, db: Database, grid, team_domains: tuple[str, ...], attachments_dir: Path,
                 max_attachment_bytes: int):
        self.db, self.grid = db, grid
        self.team_domains = tuple(team_domains)
        self.attachments_dir = attachments_dir
        self.max_attachment_bytes = max_attachment_bytes
        self._matcher: tuple[int, tuple, matching.Matcher] | None = None

    # --- who is who ------------------------------------------------------------------------------

    def team_addresses(self, conn: sqlite3.Connection) -> set[str]:
        return {r[0].lower() for r in conn.execute("SELECT email FROM email_accounts WHERE archived_at IS NULL")}

    def matcher(self) -> matching.Matcher:
        """The grid's addresses, rebuilt only when the grid changed since the last batch."""
        version = self.grid.version()
        if self._matcher is None or self._matcher[0] != version or self._matcher[1] != self.team_domains:
            built = matching.from_grid(self.grid.columns(), self.grid.live_rows(), self.team_domains)
            self._matcher = (version, self.team_domains, built)
        return self._matcher[2]

    # --- ingest ----------------------------------------------------------------------------------

    def ingest(self, conn: sqlite3.Connection, account: dict, items: list[RawMessage]) -> BatchCounts:
        """Store a batch inside the caller's transaction. A message that cannot be stored is
        counted as an error naming it; it never stops the batch."""
        counts = BatchCounts()
        matcher, team = self.matcher(), self.team_addresses(conn) | {account["email"].lower()}
        for index, item in enumerate(items):
            counts.fetched += 1
            try:
                parsed = item.parsed or mime.parse_message(item.raw, self.max_attachment_bytes)
                self._ingest_one(conn, account, item, parsed, matcher, team, counts)
            except Exception as exc:  # noqa: BLE001 - one bad message must not abort a sync
                counts.errors.append({"index": index, "source_id": item.source_id,
                                      "message": f"{type(exc).__name__}: {exc}"[:300]})
        return counts

    def _ingest_one(self, conn, account: dict, item: RawMessage, parsed: mime.ParsedMessage,
                    matcher: matching.Matcher, team: set[str], counts: BatchCounts) -> None:
        source_id = item.source_id or SIGHTING_IMPORT + parsed.message_id
        if conn.execute("SELECT 1 FROM email_sightings WHERE account_id = ? AND source_id = ?",
                        (account["id"], source_id)).fetchone():
            counts.duplicates += 1  # this mailbox already gave us this message
            return
        now = utc_now()
        found = conn.execute("SELECT id, body_pending FROM email_messages WHERE message_id = ?",
                             (parsed.message_id,)).fetchone()
        if found:  # the same email from another mailbox (or imported before): one more sighting
            self._sight(conn, account, item, source_id, found[0], now)
            if found[1]:  # matched after its body was dropped: these bytes bring it back
                self.fill_body(conn, found[0], item.raw, parsed)
            counts.duplicates += 1
            return
        participants = self._participants(parsed, matcher, team)
        counterparts = [p["addr"] for p in participants if not p["team"]]
        sender = parsed.sender.addr if parsed.sender else ""
        from_team = bool(sender) and matcher.is_team(sender, team)
        direction = ("outbound" if counterparts else "internal") if from_team else "inbound"
        matches = matcher.match(counterparts)
        message_row = new_id()
        gmail_key = f"{account['id']}:{item.gmail_thread_id}" if item.gmail_thread_id else None
        thread_id = self._thread_for(conn, parsed, gmail_key, now)
        matched = bool(matches)
        body_html = html_clean.sanitize_html(parsed.html) if matched and parsed.html else None
        conn.execute(
            "INSERT INTO email_messages (id, message_id, thread_id, subject, from_addr, from_name, to_json, cc_json,"
            " sent_at, direction, in_reply_to, gmail_thread_key, snippet, body_text, body_html, matched, size,"
            " attachment_count, problems_json, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (message_row, parsed.message_id, thread_id, parsed.subject, sender or None,
             parsed.sender.name if parsed.sender else None, _addresses_json(parsed.to), _addresses_json(parsed.cc),
             parsed.sent_at or item.internal_date or now, direction, parsed.in_reply_to, gmail_key,
             parsed.snippet if matched else "", parsed.text if matched else None, body_html, int(matched),
             parsed.size, len(parsed.attachments), json.dumps(parsed.problems) if parsed.problems else None, now))
        conn.executemany("INSERT OR IGNORE INTO email_participants (message_id, role, addr, domain, name, team)"
                         " VALUES (?,?,?,?,?,?)",
                         [(message_row, p["role"], p["addr"], matching.domain_of(p["addr"]), p["name"] or None,
                           int(p["team"])) for p in participants])
        refs = [r for r in dict.fromkeys([parsed.in_reply_to, *parsed.references]) if r and r != parsed.message_id]
        conn.executemany("INSERT OR IGNORE INTO email_references (message_id, ref) VALUES (?,?)",
                         [(message_row, r) for r in refs])
        self._sight(conn, account, item, source_id, message_row, now)
        self._store_attachments(conn, message_row, parsed.attachments, keep=matched)
        self._refresh_thread(conn, thread_id)
        counts.new += 1
        if matched:
            counts.matched += 1
            self._link(conn, message_row, matches.values(), now)
            counts.investors.update(matches)
            if not self._bulk(parsed):
                self._propose(conn, thread_id, matches.values(), participants, now)

    @staticmethod
    def _bulk(parsed: mime.ParsedMessage) -> bool:
        precedence = (parsed.headers.get("Precedence") or "").lower()
        auto = (parsed.headers.get("Auto-Submitted") or "no").lower()
        return (bool(parsed.headers.get("List-Id") or parsed.headers.get("List-Unsubscribe"))
                or precedence in ("bulk", "list", "junk") or auto != "no")

    @staticmethod
    def _participants(parsed: mime.ParsedMessage, matcher: matching.Matcher, team: set[str]) -> list[dict]:
        out, seen = [], set()
        groups = [("from", [parsed.sender] if parsed.sender else []), ("to", parsed.to), ("cc", parsed.cc),
                  ("bcc", parsed.bcc)]
        for role, addresses in groups:
            for address in addresses:
                if not address.addr or (role, address.addr) in seen:
                    continue
                seen.add((role, address.addr))
                out.append({"role": role, "addr": address.addr, "name": address.name,
                            "team": matcher.is_team(address.addr, team)})
        return out

    @staticmethod
    def _sight(conn, account: dict, item: RawMessage, source_id: str, message_row: str, now: str) -> None:
        conn.execute("INSERT INTO email_sightings (account_id, source_id, message_id, gmail_thread_id, labels_json,"
                     " seen_at) VALUES (?,?,?,?,?,?)",
                     (account["id"], source_id, message_row, item.gmail_thread_id,
                      json.dumps(item.labels) if item.labels else None, now))

    # --- threads ---------------------------------------------------------------------------------

    def _thread_for(self, conn, parsed: mime.ParsedMessage, gmail_key: str | None, now: str) -> str:
        """The conversation a new message joins: by In-Reply-To/References in either direction
        (a parent or a child already stored), else by its Gmail thread; several threads it
        joins become one."""
        refs = [r for r in {parsed.in_reply_to, *parsed.references} if r]
        threads: set[str] = set()
        if refs:
            marks = ",".join("?" * len(refs))
            threads.update(r[0] for r in conn.execute(
                f"SELECT DISTINCT thread_id FROM email_messages WHERE message_id IN ({marks})", refs))
        threads.update(r[0] for r in conn.execute(
            "SELECT DISTINCT m.thread_id FROM email_references r JOIN email_messages m ON m.id = r.message_id"
            " WHERE r.ref = ?", (parsed.message_id,)))
        if not threads and gmail_key:
            found = conn.execute("SELECT thread_id FROM email_messages WHERE gmail_thread_key = ? LIMIT 1",
                                 (gmail_key,)).fetchone()
            if found:
                threads.add(found[0])
        if not threads:
            thread_id = new_id()
            conn.execute("INSERT INTO email_threads (id, subject, first_at, last_at, message_count)"
                         " VALUES (?,?,?,?,0)", (thread_id, parsed.subject, parsed.sent_at or now, parsed.sent_at or now))
            return thread_id
        if len(threads) == 1:
            return threads.pop()
        return self._merge_threads(conn, threads)

    def _merge_threads(self, conn, threads: set[str]) -> str:
        marks = ",".join("?" * len(threads))
        keep = conn.execute(f"SELECT id FROM email_threads WHERE id IN ({marks}) ORDER BY first_at, id LIMIT 1",
                            list(threads)).fetchone()[0]
        others = [t for t in threads if t != keep]
        marks = ",".join("?" * len(others))
        conn.execute(f"UPDATE email_messages SET thread_id = ? WHERE thread_id IN ({marks})", (keep, *others))
        conn.execute(f"UPDATE email_proposals SET thread_id = ? WHERE thread_id IN ({marks})", (keep, *others))
        conn.execute(f"UPDATE email_threads SET merged_into = ?, message_count = 0 WHERE id IN ({marks})",
                     (keep, *others))
        return keep

    @staticmethod
    def _refresh_thread(conn, thread_id: str) -> None:
        conn.execute(
            "UPDATE email_threads SET message_count = (SELECT count(*) FROM email_messages WHERE thread_id = ?1),"
            " first_at = (SELECT min(sent_at) FROM email_messages WHERE thread_id = ?1),"
            " last_at = (SELECT max(sent_at) FROM email_messages WHERE thread_id = ?1),"
            " subject = coalesce((SELECT subject FROM email_messages WHERE thread_id = ?1 AND subject != ''"
            " ORDER BY sent_at LIMIT 1), subject) WHERE id = ?1", (thread_id,))

    # --- attachments -----------------------------------------------------------------------------

    def _store_attachments(self, conn, message_row: str, attachments: list[mime.Attachment], keep: bool) -> None:
        rows = []
        for attachment in attachments:
            digest = None
            if keep and attachment.data is not None and not attachment.too_large:
                digest = hashlib.sha256(attachment.data).hexdigest()
                self._write_blob(digest, attachment.data)
            rows.append((new_id(), message_row, attachment.filename, attachment.content_type, attachment.size,
                         digest, int(attachment.inline)))
        conn.executemany("INSERT INTO email_attachments (id, message_id, filename, content_type, size, sha256, inline)"
                         " VALUES (?,?,?,?,?,?,?)", rows)

    def blob_path(self, digest: str) -> Path:
        return self.attachments_dir / digest[:2] / digest

    def _write_blob(self, digest: str, data: bytes) -> None:
        """Content-addressed, written once: the same file on many messages is one file. Written
        before the transaction commits; a rolled-back batch leaves at most an unreferenced file."""
        path = self.blob_path(digest)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_suffix(".part")
        with open(partial, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)

    # --- links and proposals ---------------------------------------------------------------------

    @staticmethod
    def _link(conn, message_row: str, matches, now: str) -> None:
        conn.executemany(
            "INSERT INTO email_links (message_id, investor_id, contact_id, match_kind, confidence, address, created_at)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT (message_id, investor_id) DO UPDATE SET contact_id = excluded.contact_id,"
            " match_kind = excluded.match_kind, confidence = excluded.confidence, address = excluded.address,"
            " archived_at = NULL",
            [(message_row, m.investor_id, m.contact_id, m.kind, m.confidence, m.address, now) for m in matches])

    def _propose(self, conn, thread_id: str, matches, participants: list[dict], now: str) -> None:
        """A touch to log per investor and thread (for its latest message), and a person to add
        for an address that matched only by its organisation's domain."""
        for m in matches:
            # Driven by the thread (a few messages), not by the investor's links (all its mail).
            latest = conn.execute(
                "SELECT m.id FROM email_messages m WHERE m.thread_id = ? AND EXISTS (SELECT 1 FROM email_links l"
                " WHERE l.message_id = m.id AND l.investor_id = ? AND l.archived_at IS NULL)"
                " ORDER BY m.sent_at DESC, m.id DESC LIMIT 1", (thread_id, m.investor_id)).fetchone()
            key = f"log_touch:{m.investor_id}:{thread_id}:{latest[0]}"
            if not conn.execute("SELECT 1 FROM email_proposals WHERE dedupe_key = ?", (key,)).fetchone():
                conn.execute("UPDATE email_proposals SET status = 'superseded', decided_at = ? WHERE kind = 'log_touch'"
                             " AND investor_id = ? AND thread_id = ? AND status = 'pending'",
                             (now, m.investor_id, thread_id))
                conn.execute("INSERT INTO email_proposals (id, kind, dedupe_key, investor_id, thread_id, message_id,"
                             " created_at) VALUES (?, 'log_touch', ?, ?, ?, ?, ?)",
                             (new_id(), key, m.investor_id, thread_id, latest[0], now))
            if m.kind == matching.DOMAIN and not matching.is_automated(m.address):
                name = next((p["name"] for p in participants if p["addr"] == m.address and p["name"]), None)
                conn.execute("INSERT OR IGNORE INTO email_proposals (id, kind, dedupe_key, investor_id, thread_id,"
                             " message_id, address, name, created_at) VALUES (?, 'add_person', ?, ?, ?, NULL, ?, ?, ?)",
                             (new_id(), f"add_person:{m.investor_id}:{m.address}", m.investor_id, thread_id,
                              m.address, name, now))

    # --- re-matching -----------------------------------------------------------------------------

    def rematch(self, addresses: set[str] | None = None, domains: set[str] | None = None) -> BatchCounts:
        """Match stored mail again after the grid's people or websites changed: every message, or
        only those with a participant at `addresses` / `domains`, in transactions of
        REMATCH_BATCH messages (a full pass never holds the write lock for long). New links are
        added (and their proposals raised), links the grid no longer supports are archived; a
        message newly matched whose body was never kept is marked to have it fetched again."""
        counts = BatchCounts()
        with self.db.read() as conn:
            rows = self._messages_at(conn, addresses, domains)
        for start in range(0, len(rows), REMATCH_BATCH):
            with self.db.transaction() as conn:
                counts.add(self._rematch_in(conn, rows[start:start + REMATCH_BATCH]))
        return counts

    @staticmethod
    def _messages_at(conn, addresses: set[str] | None, domains: set[str] | None) -> list[str]:
        if addresses is None and domains is None:
            rows = conn.execute("SELECT id FROM email_messages WHERE archived_at IS NULL").fetchall()
        else:
            keys_a, keys_d = list(addresses or ()), list(domains or ())
            rows = []
            if keys_a:
                rows += conn.execute(f"SELECT DISTINCT message_id FROM email_participants WHERE addr IN"
                                     f" ({','.join('?' * len(keys_a))})", keys_a).fetchall()
            if keys_d:  # a subdomain belongs to its parent's organisation
                rows += conn.execute("SELECT DISTINCT message_id FROM email_participants WHERE "
                                     + " OR ".join(["domain = ? OR domain LIKE ?"] * len(keys_d)),
                                     [x for d in keys_d for x in (d, "%." + d)]).fetchall()
        return list(dict.fromkeys(r[0] for r in rows))

    def _rematch_in(self, conn, message_rows: list[str]) -> BatchCounts:
        counts = BatchCounts()
        matcher, now, team = self.matcher(), utc_now(), self.team_addresses(conn)
        for message_row in message_rows:
            participants = [{"role": r[0], "addr": r[1], "name": r[2], "team": matcher.is_team(r[1], team)}
                            for r in conn.execute("SELECT role, addr, name FROM email_participants WHERE message_id = ?",
                                                  (message_row,))]
            matches = matcher.match([p["addr"] for p in participants if not p["team"]])
            current = {r[0]: r[1] for r in conn.execute(
                "SELECT investor_id, match_kind FROM email_links WHERE message_id = ? AND archived_at IS NULL",
                (message_row,))}
            gone = [i for i in current if i not in matches]
            changed = [m for i, m in matches.items() if current.get(i) != m.kind]
            if not gone and not changed:
                continue
            counts.fetched += 1
            counts.investors.update(gone, (m.investor_id for m in changed))
            conn.executemany("UPDATE email_links SET archived_at = ? WHERE message_id = ? AND investor_id = ?",
                             [(now, message_row, i) for i in gone])
            if changed:
                self._link(conn, message_row, changed, now)
                message = conn.execute("SELECT thread_id, matched, body_text IS NULL FROM email_messages WHERE id = ?",
                                       (message_row,)).fetchone()
                if not message[1]:
                    counts.matched += 1
                    conn.execute("UPDATE email_messages SET matched = 1, body_pending = ? WHERE id = ?",
                                 (int(message[2]), message_row))
                self._propose(conn, message[0], changed, participants, now)
            if not matches:
                conn.execute("UPDATE email_messages SET matched = 0 WHERE id = ?", (message_row,))
        return counts

    def fill_body(self, conn: sqlite3.Connection, message_row: str, raw: bytes,
                  parsed: mime.ParsedMessage | None = None) -> None:
        """The body of a message matched after it was stored without one (fetched again)."""
        parsed = parsed or mime.parse_message(raw, self.max_attachment_bytes)
        conn.execute("UPDATE email_messages SET body_text = ?, body_html = ?, snippet = ?, body_pending = 0"
                     " WHERE id = ?", (parsed.text, html_clean.sanitize_html(parsed.html) if parsed.html else None,
                                       parsed.snippet, message_row))
        stored = {r[0]: r[1] for r in conn.execute(
            "SELECT filename || ':' || size, id FROM email_attachments WHERE message_id = ? AND sha256 IS NULL",
            (message_row,))}
        for attachment in parsed.attachments:
            key = f"{attachment.filename}:{attachment.size}"
            if key in stored and attachment.data is not None and not attachment.too_large:
                digest = hashlib.sha256(attachment.data).hexdigest()
                self._write_blob(digest, attachment.data)
                conn.execute("UPDATE email_attachments SET sha256 = ? WHERE id = ?", (digest, stored[key]))


def _addresses_json(addresses: list) -> str:
    return json.dumps([{"name": a.name or None, "addr": a.addr} for a in addresses if a.addr])


# --- a merge of two investors (Grid.merge_hooks, registered by the server) -------------------------

def move_for_merge(conn, actor, merged_id: str, survivor_id: str) -> dict:
    """Inside a merge's transaction: the merged investor's email links become the survivor's (a
    message linked to both keeps the survivor's link; the merged one's is archived), and so do its
    pending proposals and its follow-up drafts. Returns exactly what changed, for unmerge."""
    now = utc_now()
    links = conn.execute("SELECT message_id FROM email_links WHERE investor_id = ? AND archived_at IS NULL",
                         (merged_id,)).fetchall()
    moved, archived = [], []
    for (message_id,) in links:
        if conn.execute("SELECT 1 FROM email_links WHERE message_id = ? AND investor_id = ?",
                        (message_id, survivor_id)).fetchone():
            conn.execute("UPDATE email_links SET archived_at = ? WHERE message_id = ? AND investor_id = ?",
                         (now, message_id, merged_id))
            archived.append(message_id)
        else:
            conn.execute("UPDATE email_links SET investor_id = ? WHERE message_id = ? AND investor_id = ?",
                         (survivor_id, message_id, merged_id))
            moved.append(message_id)
    proposals = [r[0] for r in conn.execute(
        "SELECT id FROM email_proposals WHERE investor_id = ? AND status = 'pending'", (merged_id,))]
    conn.executemany("UPDATE email_proposals SET investor_id = ? WHERE id = ?", [(survivor_id, i) for i in proposals])
    drafts = [r[0] for r in conn.execute(
        "SELECT id FROM followup_drafts WHERE investor_id = ? AND archived_at IS NULL", (merged_id,))]
    conn.executemany("UPDATE followup_drafts SET investor_id = ? WHERE id = ?", [(survivor_id, i) for i in drafts])
    return {"from": merged_id, "to": survivor_id, "moved": moved, "archived": archived, "proposals": proposals,
            "drafts": drafts, "count": len(moved) + len(archived)}


def move_back_for_merge(conn, actor, record: dict) -> dict:
    """An unmerge: links, proposals and drafts the merge moved go back; links it archived come back."""
    source, target = record["from"], record["to"]
    back = 0
    for message_id in record["moved"]:
        if not conn.execute("SELECT 1 FROM email_links WHERE message_id = ? AND investor_id = ?",
                            (message_id, source)).fetchone():
            back += conn.execute("UPDATE email_links SET investor_id = ? WHERE message_id = ? AND investor_id = ?",
                                 (source, message_id, target)).rowcount
    for message_id in record["archived"]:
        back += conn.execute("UPDATE email_links SET archived_at = NULL WHERE message_id = ? AND investor_id = ?",
                             (message_id, source)).rowcount
    conn.executemany("UPDATE email_proposals SET investor_id = ? WHERE id = ? AND investor_id = ?",
                     [(source, i, target) for i in record["proposals"]])
    conn.executemany("UPDATE followup_drafts SET investor_id = ? WHERE id = ? AND investor_id = ?",
                     [(source, i, target) for i in record["drafts"]])
    return {"count": back}
