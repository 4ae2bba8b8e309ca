"""The people of an investor (the contacts column): an edit gives the whole list, and the stored
people are made to match it, matched by id, then email, then name. People left out are archived,
never deleted. Called only by `grid/store.py` inside `Grid._write`."""
from __future__ import annotations

from ..db import new_id


def store(conn, investor_id: str, people: list[dict], now: str) -> list[dict] | None:
    """Make the investor's people match `people`: matched by id, then email, then name;
    the rest are archived (never deleted)."""
    existing = conn.execute(
        "SELECT id, name, email, phone, title FROM contacts WHERE investor_id = ? AND archived_at IS NULL"
        " ORDER BY position, rowid", (investor_id,)).fetchall()
    unmatched = {r[0]: r for r in existing}
    result = []
    for position, person in enumerate(people):
        match = None
        if person.get("id") in unmatched:
            match = person["id"]
        else:
            for key, index in (("email", 2), ("name", 1)):
                wanted = (person.get(key) or "").casefold()
                match = next((cid for cid, r in unmatched.items() if wanted and (r[index] or "").casefold() == wanted), None)
                if match:
                    break
        if match:
            unmatched.pop(match)
            conn.execute("UPDATE contacts SET name = ?, email = ?, phone = ?, title = ?, position = ?,"
                         " updated_at = ? WHERE id = ?",
                         (person["name"] or "", person["email"], person["phone"], person["title"], position, now, match))
            cid = match
        else:
            cid = new_id()
            conn.execute("INSERT INTO contacts (id, investor_id, name, email, phone, title, position,"
                         " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                         (cid, investor_id, person["name"] or "", person["email"], person["phone"],
                          person["title"], position, now, now))
        result.append({"id": cid, "name": person["name"], "email": person["email"],
                       "phone": person["phone"], "title": person["title"]})
    for cid in unmatched:
        conn.execute("UPDATE contacts SET archived_at = ? WHERE id = ?", (now, cid))
    return result or None
