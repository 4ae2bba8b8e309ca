"""A proposal: what the bot would write for one chat note, how a model's reading of a note is
checked before it becomes one, how `edit field=value` changes it, what the CRM is sent on `yes`,
and the card that shows it in the thread.

The email-integrity rule lives here: an address may be in a proposal only if it appears literally
in something the person wrote (the note or a later reply), so neither the model nor a typo in
the bot can attach a made-up address to an LP.
"""
from __future__ import annotations

import html
import re
from datetime import date

from .parser import EMAIL_RE, emails_in

KINDS = ("meeting", "call", "email", "note")
PERSON_FIELDS = ("name", "email", "phone", "title")
MAX_PEOPLE = 10
# What `edit field=value` understands, by what people type.
FIELD_ALIASES = {
    "investor": "investor", "org": "investor", "organisation": "investor", "organization": "investor",
    "company": "investor", "firm": "investor", "lp": "investor",
    "person": "name", "contact": "name", "name": "name", "email": "email", "mail": "email",
    "phone": "phone", "tel": "phone", "mobile": "phone", "title": "title", "role": "title",
    "fund": "funds", "funds": "funds", "amount": "amount", "ticket": "amount", "commitment": "amount",
    "kind": "kind", "type": "kind", "date": "occurred_at", "when": "occurred_at", "on": "occurred_at",
    "status": "status", "stage": "status", "note": "note", "summary": "summary",
    "task": "task", "todo": "task", "reminder": "task", "due": "due", "followup": "due", "follow-up": "due",
    "follow up": "due", "remind": "due",
}
TASK_TITLE_MAX = 300
# The JSON a model must answer with (described to it in `llm.py`, checked here).
MODEL_SCHEMA = {
    "type": "object",
    "required": ["investor", "people", "funds", "amount", "kind", "occurred_at", "status", "summary"],
    "properties": {
        "investor": {"type": ["string", "null"], "description": "the LP organisation, as written"},
        "people": {"type": "array", "maxItems": MAX_PEOPLE, "items": {
            "type": "object", "properties": {f: {"type": ["string", "null"]} for f in PERSON_FIELDS}}},
        "funds": {"type": "array", "items": {"type": "string"}, "description": "only names from the fund list"},
        "amount": {"type": ["number", "null"], "description": "ticket size in currency units"},
        "kind": {"enum": list(KINDS)},
        "occurred_at": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
        "status": {"type": ["string", "null"], "description": "only a status from the list, when the note says it"},
        "summary": {"type": "string", "description": "one line, at most 140 characters"},
        "task": {"type": ["object", "null"], "description": "a follow-up the note asks for, else null",
                 "properties": {"title": {"type": "string", "description": "what to do, e.g. Send the deck"},
                                "due": {"type": ["string", "null"], "description": "YYYY-MM-DD, on or after today"}}},
    },
}


class Invalid(ValueError):
    """A model's answer or an edit that cannot become a proposal; the message says why."""


def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise Invalid(f"expected text, got {type(value).__name__}")
    value = " ".join(str(value).split())
    return value[:limit] or None


def _iso_date(value) -> str | None:
    value = _text(value, 10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise Invalid(f"occurred_at must be a date YYYY-MM-DD, not {value!r}") from None


def keep_literal_emails(people: list[dict], heard: list[str]) -> list[str]:
    """Drop every address no one wrote; returns a warning per dropped address."""
    said = {e for text in heard for e in emails_in(text)}
    dropped = []
    for person in people:
        email = person.get("email")
        if email and email.lower() not in said:
            dropped.append(email)
            person["email"] = None
    return [f"left out {e}: it is not in what you wrote" for e in dropped]


def from_model(answer, heard: list[str], vocabulary: dict, today: date) -> dict:
    """A model's JSON answer as proposal fields, or `Invalid` naming the first problem."""
    if not isinstance(answer, dict):
        raise Invalid("the answer must be a JSON object")
    missing = [k for k in MODEL_SCHEMA["required"] if k not in answer]
    if missing:
        raise Invalid(f"missing keys: {', '.join(missing)}")
    people_in = answer["people"]
    if not isinstance(people_in, list) or len(people_in) > MAX_PEOPLE:
        raise Invalid(f"people must be a list of at most {MAX_PEOPLE}")
    people = []
    for person in people_in:
        if not isinstance(person, dict):
            raise Invalid("each person must be an object")
        one = {f: _text(person.get(f), 200) for f in PERSON_FIELDS}
        if one["email"] and not EMAIL_RE.fullmatch(one["email"]):
            raise Invalid(f"{one['email']!r} is not an email address")
        if one["email"]:
            one["email"] = one["email"].lower()
        if any(one.values()):
            people.append(one)
    funds_known = {f.lower(): f for f in vocabulary.get("funds", [])}
    funds_in = answer["funds"]
    if not isinstance(funds_in, list):
        raise Invalid("funds must be a list")
    funds = [funds_known[str(f).lower()] for f in funds_in if str(f).lower() in funds_known]
    amount = answer["amount"]
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0):
        raise Invalid("amount must be a positive number or null")
    if answer["kind"] not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}")
    occurred = _iso_date(answer["occurred_at"])
    if occurred and date.fromisoformat(occurred) > today:
        occurred = None  # notes report what happened; a future date is a misreading
    statuses = {s.lower(): s for s in vocabulary.get("statuses", [])}
    status = statuses.get((_text(answer["status"], 60) or "").lower())
    proposal = {"investor": _text(answer["investor"], 200), "people": people, "funds": funds,
                "amount": float(amount) if amount is not None else None, "kind": answer["kind"],
                "occurred_at": occurred, "status": status, "summary": _text(answer["summary"], 140) or ""}
    proposal["task"] = _model_task(answer.get("task"), today)
    proposal["warnings"] = keep_literal_emails(proposal["people"], heard)
    return proposal


def _model_task(task, today: date) -> dict | None:
    """A model's follow-up, checked: {title, due}; a due day before today is a misreading (dropped)."""
    if task is None:
        return None
    if not isinstance(task, dict):
        raise Invalid("task must be an object {title, due} or null")
    title = _text(task.get("title"), TASK_TITLE_MAX) or "Follow up"
    due = task.get("due")
    if due is not None:
        try:
            due = date.fromisoformat(_text(due, 10) or "").isoformat()
        except ValueError:
            raise Invalid(f"task.due must be a date YYYY-MM-DD, not {due!r}") from None
        if due < today.isoformat():
            due = None
    return {"title": title, "due": due}


# --- edits ---------------------------------------------------------------------------------------

EDIT_RE = re.compile(r"^\s*([A-Za-z][\w .-]{0,60}?)\s*(\d{0,2})\s*[=:]\s*(.*?)\s*$", re.S)


def apply_edit(proposal: dict, assignment: str, vocabulary: dict, today: date) -> str:
    """Change one field from `field=value` (a number after a person field picks the person:
    `email2=...`); the proposal is changed in place and a line saying what changed is returned."""
    found = EDIT_RE.match(assignment)
    if not found:
        raise Invalid(f"write edit field=value, e.g. edit title=CIO (not {assignment!r})")
    raw_field, index, value = found.group(1).strip(), found.group(2), found.group(3).strip()
    value = value.strip('"\'“”') or None
    field = FIELD_ALIASES.get(raw_field.lower())
    columns = {c["name"].lower(): c for c in vocabulary.get("columns", [])}
    if field is None:
        column = columns.get(raw_field.lower())
        if column is None:
            raise Invalid(f"there is no field {raw_field!r}; fields: investor, name, email, phone, title, "
                          "fund, amount, date, kind, status, note, task, due, or a grid column")
        proposal.setdefault("values", {})[column["name"]] = value
        return f"{column['name']} = {value if value is not None else '(empty)'}"
    if field in PERSON_FIELDS:
        people = proposal.setdefault("people", [])
        n = int(index or 1)
        if not 1 <= n <= len(people) + 1 or n > MAX_PEOPLE:
            raise Invalid(f"there is no person {n}; people are numbered 1 to {len(people)}")
        if n == len(people) + 1:
            people.append({f: None for f in PERSON_FIELDS})
        if field == "email" and value:
            if not EMAIL_RE.fullmatch(value):
                raise Invalid(f"{value!r} is not an email address")
            value = value.lower()
        people[n - 1][field] = value
        return f"person {n} {field} = {value or '(empty)'}"
    if field == "funds":
        known = {f.lower(): f for f in vocabulary.get("funds", [])}
        names = [v.strip() for v in (value or "").split(",") if v.strip()]
        unknown = [v for v in names if v.lower() not in known]
        if unknown:
            raise Invalid(f"no fund called {unknown[0]!r}; funds: {', '.join(known.values()) or 'none yet'}")
        proposal["funds"] = [known[v.lower()] for v in names]
        return f"fund = {', '.join(proposal['funds']) or '(none)'}"
    if field == "amount":
        proposal["amount"] = None if value is None else parse_amount(value)
        return f"amount = {money(proposal['amount']) if proposal['amount'] else '(none)'}"
    if field == "kind":
        if (value or "").lower() not in KINDS:
            raise Invalid(f"kind is one of {', '.join(KINDS)}")
        proposal["kind"] = value.lower()
        return f"kind = {proposal['kind']}"
    if field == "occurred_at":
        proposal["occurred_at"] = None if value is None else _edit_date(value, today)
        return f"date = {proposal['occurred_at'] or '(none)'}"
    if field == "status":
        statuses = {s.lower(): s for s in vocabulary.get("statuses", [])}
        if value is not None and value.lower() not in statuses:
            raise Invalid(f"status is one of {', '.join(statuses.values())}")
        proposal["status"] = statuses[value.lower()] if value else None
        return f"status = {proposal['status'] or '(none)'}"
    if field == "task":
        if value is None:
            proposal["task"] = None
            return "task = (none)"
        proposal["task"] = {"title": value[:TASK_TITLE_MAX], "due": (proposal.get("task") or {}).get("due")}
        return f"task = {proposal['task']['title']}"
    if field == "due":
        task = dict(proposal.get("task") or {"title": "Follow up", "due": None})
        if value is None:
            task["due"] = None
        else:
            from .parser import follow_up_due
            task["due"] = _iso_or_none(value) or follow_up_due(value, today)
            if not task["due"]:
                raise Invalid(f"{value!r} is not a day I can read (try tomorrow, in 3 days, next week, friday or 2026-12-15)")
        proposal["task"] = task
        return f"due = {task['due'] or '(no date)'}"
    proposal[field] = value or ("" if field in ("note", "summary") else None)
    return f"{field} = {value or '(empty)'}"


def _iso_or_none(value: str) -> str | None:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def _edit_date(value: str, today: date) -> str:
    from .parser import parse  # the parser reads "last Tuesday", "11/3", "yesterday"
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        read = parse(f"on {value}", today).get("occurred_at")
        if not read:
            raise Invalid(f"{value!r} is not a date I can read (try 2026-11-24 or 'last Tuesday')") from None
        return read


def parse_amount(value: str) -> float:
    cleaned = value.lower().replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip()
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(k|m|mm|mn|million|bn|b|billion)?", cleaned)
    if not found:
        raise Invalid(f"{value!r} is not an amount (try 5m, 250k or 1500000)")
    scale = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
    return float(found.group(1)) * scale.get(found.group(2) or "", 1)


def money(amount: float | None) -> str:
    if not amount:
        return ""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= scale:
            return f"${amount / scale:,.1f}".rstrip("0").rstrip(".") + suffix
    return f"${amount:,.0f}"


# --- what `yes` sends ----------------------------------------------------------------------------

def grid_values(proposal: dict, vocabulary: dict, new_investor: bool) -> dict:
    """The cells a commit sets: a ticket on the one fund named, the stage the note states (for a
    new investor, the stage the touch implies), the date of the touch, and any `edit Column=...`."""
    columns = {c["name"]: c for c in vocabulary.get("columns", [])}
    statuses = vocabulary.get("statuses", [])
    values = {}
    if proposal.get("amount") and len(proposal.get("funds") or []) == 1 and proposal["funds"][0] in columns:
        values[proposal["funds"][0]] = proposal["amount"]
    status = proposal.get("status")
    if not status and new_investor:
        implied = {"meeting": "Meeting", "call": "Contacted", "email": "Contacted"}.get(proposal.get("kind"))
        status = implied if implied in statuses else None
    if status and "Status" in columns:
        values["Status"] = status
    if new_investor and proposal.get("occurred_at") and columns.get("Last Contact", {}).get("type") == "date":
        values["Last Contact"] = proposal["occurred_at"]
    values.update(proposal.get("values") or {})
    return values


def people_of(proposal: dict) -> list[dict]:
    return [{f: p.get(f) for f in PERSON_FIELDS if p.get(f)} for p in proposal.get("people") or []
            if p.get("name") or p.get("email")]


def investor_name(proposal: dict) -> str | None:
    if proposal.get("investor"):
        return proposal["investor"]
    named = next((p["name"] for p in proposal.get("people") or [] if p.get("name")), None)
    return named  # an individual LP is the investor


def note_body(proposal: dict, text: str) -> str:
    """The interaction note: what the person wrote, plus the funds of interest the grid cannot
    hold as a cell (a fund column holds a ticket size, so interest without one stays in words)."""
    lines = [proposal.get("note") or text]
    if proposal.get("funds") and not proposal.get("amount"):
        lines.append(f"Interested in: {', '.join(proposal['funds'])}")
    return "\n\n".join(lines)


def task_of(proposal: dict, author: str | None, investor: str | None) -> dict | None:
    """The follow-up `yes` makes, owned by the note's author: "Follow up" names the investor."""
    task = proposal.get("task")
    if not task:
        return None
    title = task.get("title") or "Follow up"
    if title == "Follow up" and investor:
        title = f"Follow up with {investor}"
    return {"title": title[:TASK_TITLE_MAX], "due": task.get("due"), "owner_matrix": author}


def commit_request(proposal: dict, text: str, ref: str, vocabulary: dict, author: str | None = None) -> tuple[str, dict]:
    """(which call, its body) for `yes`: a new investor, or a note on the chosen one; with the
    note's follow-up task when it asks for one."""
    target = proposal.get("target")
    call, body = _commit_body(proposal, text, ref, vocabulary, target)
    task = task_of(proposal, author, target["name"] if target else body.get("name"))
    if task:
        body["task"] = task
    return call, body


def _commit_body(proposal: dict, text: str, ref: str, vocabulary: dict, target: dict | None) -> tuple[str, dict]:
    if target:
        return "log_communication", {
            "investor_id": target["investor_id"], "kind": proposal.get("kind") or "note",
            "summary": (proposal.get("summary") or text)[:500], "body": note_body(proposal, text),
            "occurred_at": proposal.get("occurred_at"), "source": "matrix_intake", "ref": ref,
            "people": people_of(proposal), "values": grid_values(proposal, vocabulary, new_investor=False)}
    return "create_investor", {
        "name": investor_name(proposal), "people": people_of(proposal),
        "values": grid_values(proposal, vocabulary, new_investor=True), "note": note_body(proposal, text),
        "source": "matrix_intake", "ref": ref}


# --- the card ------------------------------------------------------------------------------------

COMMANDS_NEW = "yes · no · pick N · edit field=value"
COMMANDS_NOTE = "yes · no · new · pick N · edit field=value"


def card(proposal: dict, text: str) -> tuple[str, str]:
    """(plain text, HTML) of the proposal, short enough to read on a phone."""
    target = proposal.get("target")
    lines: list[tuple[str, str]] = []  # (plain, html) pairs

    def add(plain: str, markup: str | None = None):
        lines.append((plain, markup if markup is not None else html.escape(plain)))

    if target:
        head = f"Note on {target['name']}"
        add(f"🗒 {head} (existing investor)", f"🗒 <b>{html.escape(head)}</b> (existing investor)")
    else:
        name = investor_name(proposal) or "(no name yet: edit investor=...)"
        add(f"🆕 New investor: {name}", f"🆕 <b>New investor: {html.escape(name)}</b>")
    for i, person in enumerate(proposal.get("people") or [], 1):
        bits = [b for b in (person.get("title"), person.get("email"), person.get("phone")) if b]
        who = person.get("name") or "(no name)"
        label = f"{i}. " if len(proposal["people"]) > 1 else ""
        add(f"• {label}{who}" + (f" — {' · '.join(bits)}" if bits else ""))
    facts = []
    if proposal.get("funds"):
        facts.append(", ".join(proposal["funds"]) + (f" · {money(proposal['amount'])}" if proposal.get("amount") else ""))
    elif proposal.get("amount"):
        facts.append(money(proposal["amount"]))
    kind = proposal.get("kind") or "note"
    facts.append(kind.capitalize() + (f" on {proposal['occurred_at']}" if proposal.get("occurred_at") else ""))
    if proposal.get("status"):
        facts.append(f"Status → {proposal['status']}")
    for column, value in (proposal.get("values") or {}).items():
        facts.append(f"{column} → {value if value is not None else '(empty)'}")
    for fact in facts:
        add(f"• {fact}")
    task = proposal.get("task")
    if task:
        when = f" · due {_day(task['due'])}" if task.get("due") else " · no date"
        add(f"⏰ Task: {task.get('title') or 'Follow up'}{when}",
            f"⏰ <b>Task:</b> {html.escape(task.get('title') or 'Follow up')}{html.escape(when)}")
    note = proposal.get("note") or text
    add(f"Note: “{_clip(note, 240)}”", f"<i>Note: “{html.escape(_clip(note, 240))}”</i>")
    for warning in proposal.get("warnings") or []:
        add(f"⚠ {warning}")
    candidates = proposal.get("candidates") or []
    if candidates:
        if target:
            add("Other possible matches:" if len(candidates) > 1 else "Matched:", None)
        else:
            add("⚠ Did you mean an existing investor?", "⚠ <b>Did you mean an existing investor?</b>")
        for i, c in enumerate(candidates, 1):
            why = "; ".join(c.get("reasons") or [])[:120]
            mark = " ✓" if target and target["investor_id"] == c["investor_id"] else ""
            add(f"  {i}. {c['name']} ({round(c['score'] * 100)}%){mark}" + (f" — {why}" if why else ""),
                f"&nbsp;&nbsp;{i}. <b>{html.escape(c['name'])}</b> ({round(c['score'] * 100)}%){mark}"
                + (f" — {html.escape(why)}" if why else ""))
        if not target:
            add("Reply pick 1 to add this as a note there instead.", None)
    add(f"Reply in this thread: {COMMANDS_NOTE if target else COMMANDS_NEW}",
        f"Reply in this thread: <code>{COMMANDS_NOTE if target else COMMANDS_NEW}</code>")
    plain = "\n".join(p for p, _ in lines)
    markup = "<br>".join(m for _, m in lines)
    return plain, markup


def _day(iso: str) -> str:
    try:
        day = date.fromisoformat(iso)
        return f"{day:%a %b} {day.day}"
    except ValueError:
        return iso


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
