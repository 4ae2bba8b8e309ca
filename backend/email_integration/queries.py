"""Reading captured mail: the activity list with its filters, one message, threads (an investor's,
or all), the proposals queue and the people seen in mail. Archived messages, and links to
archived investors, never appear."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

MESSAGE_FIELDS = ("m.id, m.message_id, m.thread_id, m.subject, m.from_addr, m.from_name, m.to_json, m.cc_json,"
                  " m.sent_at, m.direction, m.snippet, m.matched, m.attachment_count")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_after(day: str) -> str:
    return (date.fromisoformat(day[:10]) + timedelta(days=1)).isoformat()


def activity(conn: sqlite3.Connection, investor: str | None = None, mailbox: str | None = None,
             direction: str | None = None, since: str | None = None, until: str | None = None,
             text: str | None = None, matched: bool | None = None, thread: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """Messages newest first with the filters of the Communications screen; `until` is a day
    (inclusive) or a time."""
    where, args = ["m.archived_at IS NULL"], []
    if investor:  # from the investor's links: a few rows, whatever the size of the mail store
        where.append("m.id IN (SELECT l.message_id FROM email_links l WHERE l.investor_id = ? AND l.archived_at IS NULL)")
        args.append(investor)
    if mailbox:
        where.append("EXISTS (SELECT 1 FROM email_sightings s JOIN email_accounts a ON a.id = s.account_id"
                     " WHERE s.message_id = m.id AND a.email = ? COLLATE NOCASE)")
        args.append(mailbox)
    if direction:
        where.append("m.direction = ?")
        args.append(direction)
    if since:
        where.append("m.sent_at >= ?")
        args.append(since)
    if until:
        where.append("m.sent_at < ?")
        args.append(_day_after(until) if len(until) == 10 else until)
    if text:
        where.append("(m.subject LIKE ?1 ESCAPE '\\' OR m.from_addr LIKE ?1 ESCAPE '\\' OR m.from_name LIKE ?1"
                     " ESCAPE '\\' OR m.snippet LIKE ?1 ESCAPE '\\' OR m.body_text LIKE ?1 ESCAPE '\\'"
                     " OR m.to_json LIKE ?1 ESCAPE '\\')".replace("?1", f"?{len(args) + 1}"))
        args.append(_like(text))
    if matched is not None:
        where.append("m.matched = ?")
        args.append(int(matched))
    if thread:
        where.append("m.thread_id = ?")
        args.append(thread)
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM email_messages m WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT {MESSAGE_FIELDS} FROM email_messages m WHERE {clause}"
                        f" ORDER BY m.sent_at DESC, m.id DESC LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
    return messages(conn, rows), total


def messages(conn: sqlite3.Connection, rows: list) -> list[dict]:
    """Message rows as the API shows them, with the mailboxes that saw each and its investors."""
    ids = [r[0] for r in rows]
    boxes: dict[str, list[str]] = {}
    links: dict[str, list[dict]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for message_row, email in conn.execute(
                f"SELECT s.message_id, a.email FROM email_sightings s JOIN email_accounts a ON a.id = s.account_id"
                f" WHERE s.message_id IN ({marks}) ORDER BY a.email", chunk):
            boxes.setdefault(message_row, [])
            if email not in boxes[message_row]:
                boxes[message_row].append(email)
        for message_row, investor_id, name, kind, confidence, address in conn.execute(
                f"SELECT l.message_id, l.investor_id, i.name, l.match_kind, l.confidence, l.address FROM email_links l"
                f" JOIN investors i ON i.id = l.investor_id WHERE l.message_id IN ({marks}) AND l.archived_at IS NULL"
                f" AND i.archived_at IS NULL ORDER BY l.confidence DESC, i.name", chunk):
            links.setdefault(message_row, []).append({"id": investor_id, "name": name, "match_kind": kind,
                                                      "confidence": confidence, "address": address})
    return [{"id": r[0], "message_id": r[1], "thread_id": r[2], "subject": r[3],
             "from": {"name": r[5], "addr": r[4]} if r[4] else None, "to": json.loads(r[6]), "cc": json.loads(r[7]),
             "sent_at": r[8], "direction": r[9], "snippet": r[10], "matched": bool(r[11]), "attachments": r[12],
             "mailboxes": boxes.get(r[0], []), "investors": links.get(r[0], [])} for r in rows]


def message(conn: sqlite3.Connection, message_row: str) -> dict | None:
    row = conn.execute(f"SELECT {MESSAGE_FIELDS}, m.body_text, m.body_html, m.problems_json FROM email_messages m"
                       " WHERE m.id = ? AND m.archived_at IS NULL", (message_row,)).fetchone()
    if row is None:
        return None
    out = messages(conn, [row[:13]])[0]
    matched = bool(row[11])
    out.update(body_text=row[13] if matched else None, body_html=row[14] if matched else None,
               problems=json.loads(row[15]) if row[15] else [],
               attachment_list=[{"id": a[0], "filename": a[1], "content_type": a[2], "size": a[3], "kept": a[4]}
                                for a in conn.execute(
                                    "SELECT id, filename, content_type, size, sha256 IS NOT NULL FROM email_attachments"
                                    " WHERE message_id = ? AND inline = 0 ORDER BY rowid", (message_row,))])
    return out


def threads(conn: sqlite3.Connection, investor: str | None = None, limit: int = 50,
            offset: int = 0) -> tuple[list[dict], int]:
    """Threads newest first (an investor's: those with a message linked to it), each with its
    investors and participants."""
    where, args = ["t.merged_into IS NULL", "t.archived_at IS NULL", "t.message_count > 0"], []
    if investor:  # driven by the investor's links (its mail), not by every thread
        where.append("t.id IN (SELECT m.thread_id FROM email_links l JOIN email_messages m ON m.id = l.message_id"
                     " WHERE l.investor_id = ? AND l.archived_at IS NULL)")
        args.append(investor)
    clause = " AND ".join(where)
    total = conn.execute(f"SELECT count(*) FROM email_threads t WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT t.id, t.subject, t.first_at, t.last_at, t.message_count FROM email_threads t"
                        f" WHERE {clause} ORDER BY t.last_at DESC, t.id LIMIT ? OFFSET ?", (*args, limit, offset))
    return [_thread_summary(conn, r) for r in rows], total


def _thread_summary(conn: sqlite3.Connection, row) -> dict:
    thread_id = row[0]
    investors = [{"id": r[0], "name": r[1]} for r in conn.execute(
        "SELECT DISTINCT i.id, i.name FROM email_messages m JOIN email_links l ON l.message_id = m.id"
        " AND l.archived_at IS NULL JOIN investors i ON i.id = l.investor_id AND i.archived_at IS NULL"
        " WHERE m.thread_id = ? ORDER BY i.name", (thread_id,))]
    people = [{"addr": r[0], "name": r[1], "team": bool(r[2])} for r in conn.execute(
        "SELECT p.addr, max(p.name), max(p.team) FROM email_participants p JOIN email_messages m ON m.id = p.message_id"
        " WHERE m.thread_id = ? AND p.role != 'bcc' GROUP BY p.addr ORDER BY min(m.sent_at), p.addr LIMIT 30",
        (thread_id,))]
    last = conn.execute("SELECT direction, from_name, from_addr, snippet FROM email_messages WHERE thread_id = ?"
                        " AND archived_at IS NULL ORDER BY sent_at DESC LIMIT 1", (thread_id,)).fetchone()
    return {"id": thread_id, "subject": row[1], "first_at": row[2], "last_at": row[3], "messages": row[4],
            "investors": investors, "participants": people,
            "last": {"direction": last[0], "from": last[1] or last[2], "snippet": last[3]} if last else None}


def thread(conn: sqlite3.Connection, thread_id: str) -> dict | None:
    row = conn.execute("SELECT id, subject, first_at, last_at, message_count, merged_into FROM email_threads"
                       " WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        return None
    if row[5]:  # merged into another conversation: answer with that one
        return thread(conn, row[5])
    out = _thread_summary(conn, row[:5])
    rows = conn.execute(f"SELECT {MESSAGE_FIELDS} FROM email_messages m WHERE m.thread_id = ? AND m.archived_at IS NULL"
                        " ORDER BY m.sent_at, m.id", (thread_id,)).fetchall()
    out["items"] = messages(conn, rows)
    bodies = dict(conn.execute("SELECT id, body_text FROM email_messages WHERE thread_id = ? AND matched = 1",
                               (thread_id,)).fetchall())
    for item in out["items"]:
        item["body_text"] = bodies.get(item["id"])
    return out


PROPOSAL_FIELDS = ("p.id, p.kind, p.investor_id, i.name, p.thread_id, p.message_id, p.address, p.name, p.status,"
                   " p.created_at, p.decided_at, p.decided_by, p.interaction_id, t.subject, t.message_count, m.sent_at,"
                   " m.direction, m.from_name, m.from_addr")


def proposals(conn: sqlite3.Connection, status: str | None = "pending", limit: int = 100,
              offset: int = 0) -> tuple[list[dict], int]:
    where, args = ["i.archived_at IS NULL"], []
    if status:
        where.append("p.status = ?")
        args.append(status)
    clause = " AND ".join(where)
    joins = (" FROM email_proposals p JOIN investors i ON i.id = p.investor_id"
             " LEFT JOIN email_threads t ON t.id = p.thread_id LEFT JOIN email_messages m ON m.id = p.message_id")
    total = conn.execute(f"SELECT count(*){joins} WHERE {clause}", args).fetchone()[0]
    rows = conn.execute(f"SELECT {PROPOSAL_FIELDS}{joins} WHERE {clause} ORDER BY p.created_at DESC, p.id"
                        f" LIMIT ? OFFSET ?", (*args, limit, offset)).fetchall()
    return [proposal_dict(r) for r in rows], total


def proposal(conn: sqlite3.Connection, proposal_id: str) -> dict | None:
    row = conn.execute(f"SELECT {PROPOSAL_FIELDS} FROM email_proposals p JOIN investors i ON i.id = p.investor_id"
                       " LEFT JOIN email_threads t ON t.id = p.thread_id LEFT JOIN email_messages m ON m.id = p.message_id"
                       " WHERE p.id = ?", (proposal_id,)).fetchone()
    return proposal_dict(row) if row else None


def proposal_dict(r) -> dict:
    out = {"id": r[0], "kind": r[1], "investor": {"id": r[2], "name": r[3]}, "thread_id": r[4], "message_id": r[5],
           "status": r[8], "created_at": r[9], "decided_at": r[10], "decided_by": r[11], "interaction_id": r[12]}
    if r[1] == "add_person":
        out.update(address=r[6], name=r[7], summary=f"Add {r[7] or r[6]} <{r[6]}> as a person of {r[3]}")
    else:
        out.update(subject=r[13], messages=r[14], last_at=r[15], direction=r[16], last_from=r[17] or r[18],
                   summary=f"Log “{r[13] or '(no subject)'}” as a touch on {r[3]}")
    return out


def people(conn: sqlite3.Connection, grid_people: list[dict], text: str | None = None) -> list[dict]:
    """Every person of every live investor, with their last touch in mail (either direction)."""
    last = {}
    addresses = [p["email"].lower() for p in grid_people if p.get("email")]
    for start in range(0, len(addresses), 500):
        chunk = addresses[start:start + 500]
        for addr, sent_at, direction in conn.execute(
                f"SELECT p.addr, max(m.sent_at), m.direction FROM email_participants p JOIN email_messages m"
                f" ON m.id = p.message_id AND m.archived_at IS NULL WHERE p.addr IN ({','.join('?' * len(chunk))})"
                f" GROUP BY p.addr", chunk):
            last[addr] = {"at": sent_at, "direction": direction}
    needle = (text or "").strip().lower()
    out = []
    for person in grid_people:
        if needle and needle not in " ".join(str(person.get(k) or "") for k in ("name", "email", "title",
                                                                              "investor_name")).lower():
            continue
        out.append({**person, "last_touch": last.get((person.get("email") or "").lower())})
    return out
