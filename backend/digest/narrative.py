"""The words of the digest's "by team member" section: one short paragraph per member.

With the configured local model (`backend.llm.LocalModel`; never a remote one — the digest is not
anonymised), one JSON call asks for every member at once (short keys m1, m2, ... stand for the
members). The prompt is bounded: a few items per member, each clipped, the rest summarised as
counts, the whole under `llm.MAX_PROMPT_CHARS` (fewer items and shorter snippets until it fits).
The answer must name exactly the members asked about, each with a non-empty text of bounded
length; anything else, or no answer (error, timeout, bad JSON), means the whole digest uses the
deterministic structured summary (`fallback_text`) and the reason is returned.
"""
from __future__ import annotations

import json

from ..llm import MAX_PROMPT_CHARS, ModelUnavailable
from .builder import CHANGE_KINDS, Activity, Item, MemberDay, change_text, clip, plain_subject

NARRATIVE_MAX_CHARS = 1200   # one member's paragraph from the model, at most
PROMPT_MARGIN = 1000         # under MAX_PROMPT_CHARS, for the JSON framing and a safety margin
# (items per member, characters of each snippet): tried in turn until the prompt fits
BUDGETS = ((12, 200), (8, 120), (5, 80), (3, 40), (1, 0))
PRIORITY = {"commitment": 0, "stage": 1, "list": 2, "meeting": 3, "call": 4, "intake": 5, "note": 5, "import": 6,
            "email_note": 6, "email": 7, "created": 9, "restored": 9, "automation_run": 10, "task": 11, "edit": 12}
NOTE_WORDS = {"note": "note", "meeting": "meeting", "call": "call", "intake": "note", "import": "imported note",
              "email_note": "logged email"}
SYSTEM = (
    "You write the evening digest of a venture fund's fundraising CRM, read only by the fund's own team. "
    "For each team member below write one short paragraph (one to three sentences, under 600 characters) "
    "saying whom they emailed, heard from, met, called or noted, the substance, and what they changed in the "
    "grid (commitments with their amounts, lists, stages). Use only the facts given; name investors and people "
    "exactly as written; no greetings, no advice, no markdown. Answer with one JSON object whose keys are "
    'exactly the member keys given ("m1", "m2", ...) and whose values are the paragraphs.')


def narrate(activity: Activity, model) -> tuple[dict[str, str], str, str | None]:
    """(member key -> paragraph, "llm" | "fallback", why the model was not used or None)."""
    fallback = {m.key: fallback_text(m) for m in activity.members}
    if not activity.members or model is None or not getattr(model, "enabled", False):
        return fallback, "fallback", None
    try:
        messages, aliases = prompt(activity)
        answer = model.chat_json(messages, max_tokens=min(4096, 200 + 220 * len(aliases)))
        return check(answer, aliases, activity), "llm", None
    except ModelUnavailable as exc:
        return fallback, "fallback", str(exc)


# --- the prompt --------------------------------------------------------------------------------------

def item_line(item: Item, snippet: int) -> str:
    """One fact for the model (or a reader): short, with the investor named."""
    tail = lambda text: f" — {clip(text, snippet)}" if snippet and text and text.strip() else ""
    people = f"{', '.join(item.people[:3])} ({item.investor})" if item.people else item.investor
    if item.kind == "email":
        arrow = "→ emailed" if item.direction == "outbound" else "← email from"
        return f'{arrow} {people}: "{clip(plain_subject(item.text), 100)}"{tail(item.detail)}'
    if item.kind in CHANGE_KINDS:
        return f"changed: {change_text(item)}" + (f" (via {item.via})" if item.via else "")
    if item.kind == "task":
        return f'task {"overdue" if item.overdue else "due"} {item.at[:10]}: "{clip(item.text, 100)}"' + \
            (f" ({item.investor})" if item.investor else "")
    if item.kind == "automation_run":
        return f"ran the automation {item.text} ({item.new or 0} planned changes{', undone' if item.old else ''})"
    via = f" via {item.via}" if item.via else ""
    return f'{NOTE_WORDS.get(item.kind, "note")}{via} on {item.investor}: "{clip(item.text, 160)}"{tail(item.detail)}'


def _member_payload(alias: str, member: MemberDay, cap: int, snippet: int) -> dict:
    counts = member.counts
    ranked = sorted(member.items, key=lambda i: PRIORITY.get(i.kind, 8))
    listed, rest = ranked[:cap], ranked[cap:]
    payload = {"key": alias, "name": member.name,
               "totals": {"emails sent": counts.get("emails_out", 0), "emails received": counts.get("emails_in", 0),
                          "notes": counts.get("notes", 0), "grid changes": counts.get("changes", 0),
                          "tasks due": counts.get("tasks", 0), "investors": len(member.investors)},
               "items": [item_line(i, snippet) for i in listed]}
    if rest:
        kinds: dict[str, int] = {}
        for item in rest:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        others = {i.investor_id for i in rest} - {i.investor_id for i in listed} - {None}
        payload["not listed"] = (f"{len(rest)} more: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                                 + (f"; with {len(others)} other investors" if others else ""))
    return payload


def prompt(activity: Activity) -> tuple[list[dict], dict[str, MemberDay]]:
    """The chat messages for one call, within MAX_PROMPT_CHARS, and alias -> member."""
    aliases = {f"m{n}": member for n, member in enumerate(activity.members, 1)}
    window = f"Window (UTC): {activity.window['since']} to {activity.window['until']}\n"
    for cap, snippet in BUDGETS:
        body = json.dumps({"members": [_member_payload(a, m, cap, snippet) for a, m in aliases.items()]},
                          ensure_ascii=False)
        if len(SYSTEM) + len(window) + len(body) <= MAX_PROMPT_CHARS - PROMPT_MARGIN:
            return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": window + body}], aliases
    raise ModelUnavailable(f"{len(aliases)} team members do not fit the prompt bound ({MAX_PROMPT_CHARS:,} characters)")


def check(answer: dict, aliases: dict[str, MemberDay], activity: Activity | None = None) -> dict[str, str]:
    """The model's paragraphs by member key, or ModelUnavailable naming what is wrong with them."""
    if len(answer) == 1 and isinstance(next(iter(answer.values())), dict) and next(iter(answer)) not in aliases:
        answer = next(iter(answer.values()))  # {"narratives": {...}}: some models wrap the object
    unknown = [k for k in answer if k not in aliases]
    if unknown:
        raise ModelUnavailable("the model's answer names unknown members: " + ", ".join(clip(repr(k), 40) for k in unknown[:3]))
    missing = [f"{k} ({aliases[k].name})" for k in aliases if k not in answer]
    if missing:
        raise ModelUnavailable("the model's answer leaves out " + ", ".join(missing[:3]))
    out = {}
    for alias, text in answer.items():
        if not isinstance(text, str) or not text.strip():
            raise ModelUnavailable(f"the model's text for {alias} ({aliases[alias].name}) is not a non-empty string")
        if len(text) > NARRATIVE_MAX_CHARS:
            raise ModelUnavailable(f"the model's text for {alias} ({aliases[alias].name}) is {len(text):,} characters,"
                                   f" over {NARRATIVE_MAX_CHARS:,}")
        out[aliases[alias].key] = " ".join(text.split())
    return out


# --- the structured fallback -------------------------------------------------------------------------

def _more(parts: list[str], total: int, noun: str) -> str:
    """"a, b and c", or "a, b and 3 more <noun>" when `total` is more than the parts shown."""
    if total > len(parts):
        return (", ".join(parts) + f" and {total - len(parts)} more {noun}").rstrip()
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _by_investor(items: list[Item]) -> list[tuple[str, list[Item]]]:
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.investor_id or item.investor, []).append(item)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0].investor.lower()))


def _quoted(texts: list[str], limit: int = 2, width: int = 60) -> str:
    distinct = list(dict.fromkeys(texts))
    shown = ", ".join(f"'{clip(t, width)}'" for t in distinct[:limit])
    return shown + (f" and {len(distinct) - limit} more threads" if len(distinct) > limit else "")


def _email_clause(verb: str, items: list[Item], investors_at_most: int = 4) -> str | None:
    if not items:
        return None
    groups = _by_investor(items)
    parts = []
    for _key, group in groups[:investors_at_most]:
        people = list(dict.fromkeys(p for i in group for p in i.people))
        who = f"{_more(people[:2], len(people), 'people')} ({group[0].investor})" if people else group[0].investor
        parts.append(f"{who} about {_quoted([plain_subject(i.text) for i in group])}")
    return f"{verb} " + _more(parts, len(groups), "investors")


def _note_clause(verb: str, items: list[Item], at_most: int = 3) -> str | None:
    if not items:
        return None
    parts = [f"{i.investor} ('{clip(i.text, 80)}')" for i in items[:at_most]]
    return f"{verb} " + _more(parts, len(items), "")


def fallback_text(member: MemberDay) -> str:
    """A deterministic paragraph from the member's items, e.g. "Emailed Jane Doe (Acme Capital)
    about 'Fund III deck'; met Halcyon Family Office ('intro'); moved Acme Capital's Fund III
    commitment from $1M to $2.5M." """
    items = member.items
    of = lambda *kinds: [i for i in items if i.kind in kinds]
    clauses = [
        _email_clause("emailed", [i for i in of("email") if i.direction == "outbound"]),
        _email_clause("heard from", [i for i in of("email") if i.direction == "inbound"]),
        _note_clause("met", of("meeting")),
        _note_clause("called", of("call")),
    ]
    notes = of("note", "intake", "import")
    for via in dict.fromkeys(i.via for i in notes):
        clauses.append(_note_clause("noted" + (f" via {via}" if via else "") + " on",
                                    [i for i in notes if i.via == via]))
    clauses.append(_note_clause("logged an email with", of("email_note")))
    moves = of("commitment", "stage", "list")
    if moves:
        verb = lambda i: "set" if i.kind == "stage" else "moved"
        parts = [f"{verb(i)} {change_text(i)}" for i in moves[:5]]
        clauses.append(_more(parts, len(moves), "changes"))
    added = of("created", "restored")
    if added:
        names = list(dict.fromkeys(i.investor for i in added))
        via = next((f" (via {i.via})" for i in added if i.via), "")
        clauses.append("added " + _more(names[:4], len(names), "investors") + via)
    edits = of("edit")
    if edits:
        groups = _by_investor(edits)
        parts = [f"{g[0].investor} ({', '.join(dict.fromkeys(i.text for i in g))})" for _, g in groups[:3]]
        clauses.append("edited " + _more(parts, len(groups), "investors"))
    runs = of("automation_run")
    if runs:
        clauses.append("ran the automation " + _more([i.text for i in runs[:3]], len(runs), "runs"))
    tasks = of("task")
    if tasks:
        overdue = [i for i in tasks if i.overdue]
        due = [i for i in tasks if not i.overdue]
        for label, group in (("overdue", overdue), ("due", due)):
            if group:
                parts = [f"'{clip(i.text, 60)}'" + (f" ({i.investor})" if i.investor else "") for i in group[:3]]
                clauses.append(f"has {_more(parts, len(group), 'tasks')} {label}")
    text = "; ".join(c for c in clauses if c)
    if not text:
        return "No activity."
    return clip(text[0].upper() + text[1:], 1500).rstrip(".") + "."
