"""What the bot does with each message in its room, independent of Matrix: a note becomes a
proposal and its card; a reply in the proposal's thread (`yes`, `no`, `edit field=value`,
`pick N`, `new`, `help`, or free text) changes, commits or discards it, and is always answered.

`handle` is safe to call twice for the same event (the bot does, when it was stopped between
handling an event and recording it): a note already proposed shows its card again, and a `yes`
commits with the note's event id as the CRM's `ref`, so the CRM writes once.
"""
from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from . import parser, proposal as proposals
from .crm import CRM, Refused
from .llm import LLM, Unavailable
from .state import State, Stored

log = logging.getLogger("matrix_intake")

LIKELY = 0.5  # the contract: a candidate scoring this or more is "likely the same investor"
YES = {"yes", "y", "yep", "yeah", "yes please", "ok", "okay", "approve", "approved", "confirm", "commit",
       "go", "go ahead", "do it", "lgtm", "👍", "✅", "+1"}
NO = {"no", "n", "nope", "cancel", "discard", "reject", "drop", "skip", "ignore", "👎", "❌"}
NEW = {"new", "new investor", "create", "create new", "none", "none of them", "pick 0"}
HELP = {"help", "?", "commands", "what", "how"}
PICK_RE = re.compile(r"^(?:pick|choose|use|select|option|number|#)\s*#?\s*(\d{1,2})$")
GRAMMAR = ("Reply in this thread with: yes (write it) · no (discard) · pick N (use existing investor N) · "
           "new (a new investor instead) · edit field=value (e.g. edit title=CIO; edit email2=bob@acme.com; "
           "edit fund=Fund III; edit amount=5m; edit date=last Tuesday; edit Status=Diligence; "
           "edit due=next week; edit task=Send the deck; edit task= to drop the follow-up)")


@dataclass
class Message:
    event_id: str
    room_id: str
    sender: str
    body: str
    thread_root: str | None = None


@dataclass
class Outgoing:
    """A notice to post in the thread of `root` (the proposal's note); `card` marks a proposal card."""
    root: str
    text: str
    html: str | None = None
    card: bool = False


def read_reply(body: str) -> tuple[str, str]:
    """(command, argument) of a reply: yes, no, new, help, pick, edit or text."""
    lines = body.strip().splitlines()
    while lines and lines[0].startswith(">"):  # a client's quoted reply fallback
        lines.pop(0)
    text = "\n".join(lines).strip()
    low = " ".join(text.lower().split()).rstrip(".!")
    if low in YES:
        return "yes", ""
    if low in NO:
        return "no", ""
    if low in NEW:
        return "new", ""
    if low in HELP:
        return "help", ""
    picked = PICK_RE.match(low)
    if picked:
        return "pick", picked.group(1)
    if low.startswith("edit ") or low.startswith("set "):
        return "edit", text.split(None, 1)[1]
    return "text", text


class Conversation:
    def __init__(self, state: State, crm: CRM, llm: LLM | None, crm_url: str, ttl_seconds: float,
                 allowed_senders: frozenset[str] = frozenset(), today: Callable[[], date] = date.today):
        self.state, self.crm, self.llm = state, crm, llm
        self.crm_url, self.ttl, self.allowed, self.today = crm_url.rstrip("/"), ttl_seconds, allowed_senders, today

    def handle(self, msg: Message) -> list[Outgoing]:
        if msg.thread_root:
            return self._reply(msg)
        return self._note(msg)

    # --- a note ------------------------------------------------------------------------------

    def _note(self, msg: Message) -> list[Outgoing]:
        stored = self.state.find(msg.event_id)
        if stored:
            return [self._card(stored.proposal, stored.text, msg.event_id)]
        text = msg.body.strip()
        if not text:
            return []
        vocabulary = self.crm.vocabulary()
        draft = self._read(text, vocabulary)
        if not (draft.get("investor") or draft.get("people") or draft.get("funds")):
            return [Outgoing(msg.event_id, "I found no investor, person or fund in this note, so there is nothing "
                             "to propose. Write e.g. “Met Jane Doe, partner at Acme Capital, jane@acme.com, "
                             "interested in Fund III”.")]
        draft["heard"] = [text]
        draft.setdefault("note", text)
        self._match(draft)
        stored = self.state.create(msg.event_id, msg.room_id, msg.sender, text, draft, self.ttl)
        return [self._card(stored.proposal, text, msg.event_id)]

    def _read(self, text: str, vocabulary: dict) -> dict:
        today = self.today()
        read = None
        if self.llm is not None:
            try:
                read = self.llm.read(text, vocabulary, today)
                read.update(note=text, read_by="llm")
            except Unavailable as error:
                log.warning("reading without the language model: %s", error)
                read = self._parse(text, vocabulary, today)
                read["warnings"] = ["read without the language model (it did not answer usefully)"]
        read = read or self._parse(text, vocabulary, today)
        if read["kind"] != "note" and not read.get("occurred_at"):
            read["occurred_at"] = today.isoformat()  # partners write it up the day it happened; `edit date=` if not
        return read

    @staticmethod
    def _parse(text: str, vocabulary: dict, today: date) -> dict:
        read = parser.parse(text, today, vocabulary.get("funds", []))
        statuses = {s.lower(): s for s in vocabulary.get("statuses", [])}
        read["status"] = statuses.get((read.get("status") or "").lower())
        read.update(read_by="parser", warnings=[])
        return read

    def _match(self, draft: dict) -> None:
        """Candidates for the draft's investor, people and emails. The best becomes the target only
        beyond doubt — a person's exact email, or the name exactly as the grid has it — and never
        after a person chose `pick`/`new`: a near match ("Acme Capital" for "Acme Capital LLC") is
        offered, not assumed."""
        emails = [p["email"] for p in draft.get("people") or [] if p.get("email")]
        names = [draft.get("investor")] + [p.get("name") for p in draft.get("people") or []]
        email = emails[0] if emails else None
        queries = [(n, email) for n in names if n][:3] or ([(None, email)] if email else [])
        best: dict[str, dict] = {}
        for name, email in queries:
            for candidate in self.crm.match(name, email):
                if candidate["score"] >= LIKELY and candidate["score"] > best.get(candidate["investor_id"], {}).get("score", -1):
                    best[candidate["investor_id"]] = candidate
        draft["candidates"] = sorted(best.values(), key=lambda c: -c["score"])[:5]
        if draft.get("chosen_by") in ("pick", "new"):
            return
        top = draft["candidates"][0] if draft["candidates"] else None
        certain = top and (top["score"] >= 1.0 or _same_name(top["name"], draft.get("investor")))
        draft["target"] = {"investor_id": top["investor_id"], "name": top["name"]} if certain else None
        draft["chosen_by"] = "match" if draft["target"] else None

    def _card(self, draft: dict, text: str, root: str, lead: str | None = None) -> Outgoing:
        plain, markup = proposals.card(draft, text)
        if lead:
            plain, markup = f"{lead}\n{plain}", f"{html.escape(lead)}<br>{markup}"
        return Outgoing(root, plain, markup, card=True)

    # --- a reply in a proposal's thread ---------------------------------------------------------

    def _reply(self, msg: Message) -> list[Outgoing]:
        stored = self.state.find(msg.thread_root)
        if stored is None:
            return []  # a thread that is not one of ours
        command, arg = read_reply(msg.body)
        if msg.sender != stored.author and msg.sender not in self.allowed:
            return [Outgoing(stored.root_event_id, f"Only {stored.author} (who wrote the note) or an approver can "
                             "decide on this proposal; nothing was changed.")]
        if stored.state != "pending":
            return [Outgoing(stored.root_event_id, self._settled(stored, command))]
        if command == "yes":
            return [self._commit(stored)]
        if command == "no":
            self.state.update(stored.root_event_id, state="discarded")
            return [Outgoing(stored.root_event_id, "❌ Discarded. Nothing was written to the CRM.")]
        if command == "help":
            return [Outgoing(stored.root_event_id, GRAMMAR)]
        draft = stored.proposal
        if command in ("pick", "new"):
            return [self._choose(stored, command, arg)]
        if command == "edit":
            return [self._edit(stored, arg)]
        if self.llm is None:
            return [Outgoing(stored.root_event_id, "I can only take free-text corrections with a language model "
                             "configured, and none is. " + GRAMMAR)]
        heard = draft.get("heard", [stored.text]) + [arg]
        try:
            revised = self.llm.revise(draft, arg, heard, self.crm.vocabulary(), self.today())
        except Unavailable as error:
            return [Outgoing(stored.root_event_id, f"I could not revise it ({error}). " + GRAMMAR)]
        for keep in ("note", "values", "target", "chosen_by", "candidates"):
            if keep in draft:
                revised[keep] = draft[keep]
        revised.update(heard=heard, read_by="llm")
        self._rematch_if_changed(draft, revised)
        self.state.update(stored.root_event_id, proposal=revised)
        return [self._card(revised, stored.text, stored.root_event_id, "✏️ Revised:")]

    def _choose(self, stored: Stored, command: str, arg: str) -> Outgoing:
        draft = stored.proposal
        if command == "new":
            draft.update(target=None, chosen_by="new")
            lead = "👌 A new investor then."
        else:
            n, candidates = int(arg), draft.get("candidates") or []
            if not 1 <= n <= len(candidates):
                return Outgoing(stored.root_event_id, f"There is no candidate {n}: " + (
                    f"pick 1 to {len(candidates)}." if candidates else "this note matched no existing investor."))
            chosen = candidates[n - 1]
            draft.update(target={"investor_id": chosen["investor_id"], "name": chosen["name"]}, chosen_by="pick")
            lead = f"👌 Picked {n}: {chosen['name']}."
        self.state.update(stored.root_event_id, proposal=draft)
        return self._card(draft, stored.text, stored.root_event_id, lead)

    def _edit(self, stored: Stored, arg: str) -> Outgoing:
        draft = dict(stored.proposal)
        before = {k: draft.get(k) for k in ("investor", "people")}
        draft["people"] = [dict(p) for p in draft.get("people") or []]
        vocabulary = self.crm.vocabulary()
        changed = []
        try:
            for assignment in [a for a in re.split(r"[;\n]", arg) if a.strip()]:
                changed.append(proposals.apply_edit(draft, assignment, vocabulary, self.today()))
        except proposals.Invalid as error:
            return Outgoing(stored.root_event_id, f"⚠ {error}. Nothing was changed.")
        draft["heard"] = draft.get("heard", [stored.text]) + [arg]
        self._rematch_if_changed(before, draft)
        self.state.update(stored.root_event_id, proposal=draft)
        return self._card(draft, stored.text, stored.root_event_id, "✏️ Changed: " + "; ".join(changed))

    def _rematch_if_changed(self, before: dict, after: dict) -> None:
        def key(d):
            return (d.get("investor"), [(p.get("name"), p.get("email")) for p in d.get("people") or []])
        if key(before) != key(after):
            self._match(after)

    def _commit(self, stored: Stored) -> Outgoing:
        draft = stored.proposal
        call, body = proposals.commit_request(draft, stored.text, stored.root_event_id, self.crm.vocabulary(),
                                              author=stored.author)
        if call == "create_investor" and not body["name"]:
            return Outgoing(stored.root_event_id, "⚠ There is no investor name yet: reply edit investor=NAME, then yes.")
        try:
            if call == "create_investor":
                row = self.crm.create_investor(body)
                result = {"kind": "investor", "investor_id": row["id"], "name": body["name"]}
            else:
                entry = self.crm.log_communication(body)
                result = {"kind": "interaction", "investor_id": body["investor_id"], "entry_id": entry["id"],
                          "name": draft["target"]["name"]}
        except Refused as error:
            return Outgoing(stored.root_event_id, f"⚠ The CRM refused this: {error}. Change it with edit field=value "
                            "and reply yes again; nothing was written.")
        if body.get("task"):
            result.update(task=body["task"]["title"], task_due=body["task"].get("due"))
        self.state.update(stored.root_event_id, state="committed", result=result)
        return Outgoing(stored.root_event_id, self._done(result))

    def _done(self, result: dict) -> str:
        link = f"{self.crm_url}/#/grid?investor={result['investor_id']}"
        task = f" Follow-up task set{' for ' + result['task_due'] if result.get('task_due') else ''}." \
            if result.get("task") else ""
        if result["kind"] == "investor":
            return f"✅ Created {result['name']} in the CRM: {link}{task}"
        return f"✅ Note added to {result['name']}: {link}{task}"

    def _settled(self, stored: Stored, command: str) -> str:
        if stored.state == "committed":
            return ("Already done. " if command == "yes" else "This proposal was already committed, so that changes "
                    "nothing. ") + self._done(stored.result)
        if stored.state == "discarded":
            return "This proposal was discarded; nothing was written. Send the note again to start over."
        return "This proposal expired; nothing was written. Send the note again to start over."

    # --- expiry ---------------------------------------------------------------------------------

    def expire_due(self) -> list[Outgoing]:
        out = []
        for stored in self.state.due_to_expire():
            self.state.update(stored.root_event_id, state="expired")
            hours = self.ttl / 3600
            out.append(Outgoing(stored.root_event_id, f"⌛ This proposal expired after {hours:g} hours without a yes; "
                                "nothing was written. Send the note again to start over."))
        return out


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(a and b) and " ".join(a.casefold().split()) == " ".join(b.casefold().split())
