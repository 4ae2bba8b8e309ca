"""Follow-up drafts: a person composes a follow-up to an investor (from the investor panel or a
conversation) and the CRM saves it as a draft in that person's own Gmail mailbox, threaded as a
reply when it answers a conversation, for them to review and send from Gmail. The CRM never
sends it (CLAUDE.md: the product drafts; people send).

- `suggest`: the text, from the box's local model (`app.llm`, never a remote one) reading the
  conversation's last messages and the investor's recent touches (bounded), or a plain template
  when no model is configured or its answer is unusable; the answer says which was used. The
  recipients are chosen only among the investor's people and the conversation's participants
  outside the team: an address is never invented.
- `save`: `users.drafts.create` in the requesting person's mailbox (their account's address must
  be an enrolled Gmail mailbox), then the record and its audit entry in one transaction. Gmail is
  called before the transaction, never under the write lock; a draft Gmail made whose record then
  fails to commit stays in Gmail unrecorded (the person still has it; nothing was sent).
- `for_investor`: the drafts saved for an investor, newest first (archived rows never appear).
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

from . import gmail, mime, queries
from .matching import Matcher
from .. import audit
from ..db import new_id, utc_now
from ..errors import ApiError, BadRequest, Conflict, NotFound, Unprocessable
from ..interactions import log as interaction_log
from ..llm import ModelUnavailable
from ..principal import Principal
from ..validation import EMAIL_RE

log = logging.getLogger("email.drafts")

MAX_CONTEXT_CHARS = 8_000      # what the model reads: the conversation and the touches, at most
THREAD_MESSAGES = 4            # the conversation's last messages the model reads
MESSAGE_CHARS = 1_800          # of each message's own words (the quoted history is cut)
TOUCHES = 5                    # the investor's latest touches the model reads
MAX_SUBJECT = 250
MAX_BODY = 20_000
MODEL_BODY_MAX = 4_000         # a longer "follow-up" from the model is not a follow-up: template
MAX_RECIPIENTS = 10
SNIPPET_CHARS = 200
MODELS = ("llm", "template", "manual")
_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|tr)\s*:\s*)+", re.I)
_QUOTE_START = re.compile(r"^(On .{4,240}wrote:\s*$|-{2,}\s*Original Message\s*-{2,}|>)", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"^[!-;=?-~]+@[!-;=?-~]+$")  # printable ASCII without <, > or spaces
_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "prof", "prof.", "sir", "dame"}

SYSTEM_PROMPT = (
    "You draft short follow-up emails for the investor-relations team of a venture capital fund. "
    "Write as the sender, to the recipient named, in plain text of 50 to 170 words: a greeting with "
    "the recipient's first name, one or two short paragraphs that follow up on the conversation and "
    "the recent touches given, and a sign-off with the sender's name. Use only facts in the context; "
    "never invent figures, dates, commitments, attachments or meetings. Be warm and brief; no "
    "subject line or headers in the body. Answer with JSON only: {\"subject\": \"...\", \"body\": \"...\"}."
)


class FollowupDrafts:
    """The drafts service, `app.email.drafts`: `capture` is the app's EmailCapture (its database,
    grid, Gmail clients and team domains); `llm` the app's LocalModel, or None."""

    def __init__(self, capture, llm=None):
        self.capture, self.db, self.grid, self.llm = capture, capture.db, capture.grid, llm
        self.team = Matcher((), capture.config.team_domains)  # only for is_team: no investors in it

    # --- suggest -----------------------------------------------------------------------------------

    def suggest(self, actor: Principal, investor_id: str, thread_id: str | None = None) -> dict:
        with self.db.read() as conn:
            ctx = self._context(conn, actor, investor_id, thread_id)
        subject, body = self._template(ctx)
        out = {"to": ctx["to"], "subject": subject, "body": body, "model": "template",
               "thread_id": ctx["thread"]["id"] if ctx["thread"] else None}
        if self.llm is not None and self.llm.enabled:
            try:
                subject, body = self._from_model(ctx)
                out.update(subject=subject, body=body, model="llm")
            except _Invalid as exc:
                out["reason"] = f"the local model's answer was not usable ({exc}); a template was used"
            except ModelUnavailable as exc:
                out["reason"] = f"{exc}; a template was used"
            if "reason" in out:
                log.info("follow-up suggestion for %s fell back to the template: %s", investor_id, out["reason"])
        else:
            out["reason"] = "no local model is configured (CRM_LLM_BASE_URL); a template was used"
        out.update(allowed=list(ctx["allowed"].values()), mailbox=ctx["account"]["email"] if ctx["account"] else None,
                   sender=ctx["sender"], investor={"id": investor_id, "name": ctx["investor_name"]},
                   thread_subject=ctx["thread"]["subject"] if ctx["thread"] else None)
        if not ctx["account"]:
            out["mailbox_hint"] = _not_connected(ctx["user_email"])
        return out

    def _from_model(self, ctx: dict) -> tuple[str, str]:
        answer = self.llm.chat_json([{"role": "system", "content": SYSTEM_PROMPT},
                                     {"role": "user", "content": _prompt(ctx)}], max_tokens=900)
        subject, body = answer.get("subject"), answer.get("body")
        if not isinstance(body, str) or not body.strip():
            raise _Invalid("no body")
        if subject is not None and not isinstance(subject, str):
            raise _Invalid("the subject is not text")
        body = _CONTROL.sub("", body).replace("\r\n", "\n").strip()
        if len(body) < 20:
            raise _Invalid("the body is too short")
        if len(body) > MODEL_BODY_MAX:
            raise _Invalid(f"the body is over {MODEL_BODY_MAX:,} characters")
        if ctx["thread"]:  # a reply keeps the conversation's subject, or Gmail files it elsewhere
            return _reply_subject(ctx["thread"]["subject"]), body
        subject = _one_line(subject or "")
        if not subject:
            raise _Invalid("no subject")
        if len(subject) > 200:
            raise _Invalid("the subject is over 200 characters")
        return subject, body

    def _template(self, ctx: dict) -> tuple[str, str]:
        first = _first_name(ctx["allowed"][ctx["to"][0]]["name"]) if ctx["to"] else ""
        thread, touch = ctx["thread"], ctx["touches"][0] if ctx["touches"] else None
        if thread:
            subject = _reply_subject(thread["subject"])
            last = thread["items"][-1] if thread["items"] else None
            topic = _one_line(thread["subject"]) or "our conversation"
            if last and last["direction"] == "inbound":
                line = f"Thank you for your note about “{topic}” on {_day(last['sent_at'])}."
            else:
                line = f"I wanted to follow up on my note about “{topic}”."
        else:  # a new email: it recalls the latest touch, or else the latest conversation
            subject, latest = "Following up", ctx["latest"]
            if touch and (not latest or touch["occurred_at"] >= (latest["last_at"] or "")):
                line = f"I wanted to follow up on {_touch_phrase(touch)}."
            elif latest:
                topic = _one_line(latest["subject"]) or "our conversation"
                line = f"I wanted to follow up on our emails about “{topic}”."
            else:
                line = "I wanted to follow up and see how things stand on your side."
        body = "\n".join([f"Hi {first or 'there'},", "", line + " Is there anything more we can share, or would a"
                          " short call in the next couple of weeks be useful?", "", "Best regards,", ctx["sender"]])
        return subject, body

    # --- save --------------------------------------------------------------------------------------

    def save(self, actor: Principal, investor_id: str, thread_id: str | None, to: list, subject: str, body: str,
             model: str | None = None) -> dict:
        subject, body = _one_line(subject or ""), _CONTROL.sub("", (body or "").replace("\r\n", "\n")).strip()
        if not subject:
            raise BadRequest("the subject is empty", field="subject")
        if len(subject) > MAX_SUBJECT:
            raise BadRequest(f"the subject is over {MAX_SUBJECT} characters", field="subject")
        if not body:
            raise BadRequest("the body is empty", field="body")
        if len(body) > MAX_BODY:
            raise BadRequest(f"the body is over {MAX_BODY:,} characters", field="body")
        if model is not None and model not in MODELS:
            raise BadRequest(f"model must be one of: {', '.join(MODELS)}", field="model")
        if not isinstance(to, list) or not to or not all(isinstance(a, str) for a in to):
            raise BadRequest("'to' must list at least one address", field="to")
        if len(to) > MAX_RECIPIENTS:
            raise BadRequest(f"a follow-up goes to at most {MAX_RECIPIENTS} people", field="to")
        wanted = []
        for value in to:
            addr = value.strip().lower()
            if not EMAIL_RE.match(addr):
                raise BadRequest(f"'{value}' is not an email address", field="to", address=value)
            if addr not in wanted:
                wanted.append(addr)
        with self.db.read() as conn:
            ctx = self._context(conn, actor, investor_id, thread_id)
        for addr in wanted:
            if addr not in ctx["allowed"]:
                where = " or on this conversation" if ctx["thread"] else ""
                raise BadRequest(f"{addr} is not one of {ctx['investor_name']}'s people{where}: a follow-up goes only"
                                 " to them", field="to", address=addr)
        account = ctx["account"]
        if account is None:
            raise Conflict(_not_connected(ctx["user_email"]), code="mailbox_not_connected")
        thread = ctx["thread"]
        if thread and not _PREFIX.match(subject):
            subject = ("Re: " + subject)[:MAX_SUBJECT]
        raw, rfc_id = _compose(account["email"], ctx["sender"], [(ctx["allowed"][a]["name"], a) for a in wanted],
                               subject, body, ctx["reply"])
        in_thread = ctx["reply"]["gmail_thread_id"] if ctx["reply"] else None
        made = self._create_in_gmail(account, raw, in_thread)
        # Gmail first, then the record: if this commit failed, the draft would still be in the
        # person's Gmail, unrecorded (acceptable: nothing was sent, and they can see it there).
        draft_id, now = new_id(), utc_now()
        message = made.get("message") or {}
        joined = in_thread if in_thread and message.get("threadId") == in_thread else None  # filed in the conversation
        row = (draft_id, investor_id, thread["id"] if thread else None, account["email"], account["id"], made["id"],
               message.get("id"), joined, rfc_id, subject, _snippet(body), json.dumps(wanted), model or "manual",
               actor.id, actor.name, now)
        with self.db.transaction() as conn:
            conn.execute(f"INSERT INTO followup_drafts ({DRAFT_FIELDS}) VALUES ({','.join('?' * len(row))})", row)
            audit.record(conn, actor, "email.draft_created", "investor", investor_id, {
                "draft": draft_id, "mailbox": account["email"], "thread_id": row[2], "to": wanted,
                "subject": subject, "model": row[12], "gmail_draft_id": made["id"]})
            saved = draft_dict(conn.execute(f"SELECT {DRAFT_FIELDS} FROM followup_drafts WHERE id = ?",
                                            (draft_id,)).fetchone())
        return saved

    def _create_in_gmail(self, account: dict, raw: bytes, gmail_thread_id: str | None) -> dict:
        try:
            client = self.capture.client_for(account)
        except gmail.AuthFailed as exc:
            raise Conflict(f"your mailbox cannot be used: {exc}. Connect it again in Settings -> Email.",
                           code="mailbox_refused") from None
        except gmail.GmailError as exc:
            raise Conflict(f"your mailbox cannot be used: {exc}", code="mailbox_refused") from None
        try:
            try:
                made = client.create_draft(raw, gmail_thread_id)
            except gmail.GmailError as exc:
                # A thread Gmail no longer has (deleted, or never in this mailbox): the headers
                # still make it a reply; file it on its own rather than fail.
                if not gmail_thread_id or isinstance(exc, gmail.AuthFailed) or exc.status not in (400, 404):
                    raise
                made = client.create_draft(raw, None)
        except gmail.AuthFailed as exc:
            raise Unprocessable(f"Google refused to save the draft in {account['email']}: {exc}. Check that the"
                                " mailbox's access includes the Gmail compose scope.", code="gmail_refused") from None
        except gmail.GmailError as exc:
            raise ApiError(f"Gmail did not save the draft: {exc}. Nothing was saved; try again.", status=502,
                           code="gmail_failed") from None
        finally:
            client.close()
        if not made.get("id"):
            raise ApiError("Gmail answered without a draft id; look in your Gmail drafts before trying again",
                           status=502, code="gmail_failed")
        return made

    # --- reads -------------------------------------------------------------------------------------

    def for_investor(self, investor_id: str, limit: int = 20) -> list[dict]:
        with self.db.read() as conn:
            if conn.execute("SELECT 1 FROM investors WHERE id = ?", (investor_id,)).fetchone() is None:
                raise NotFound(f"investor {investor_id} does not exist")
            return [draft_dict(r) for r in conn.execute(
                f"SELECT {DRAFT_FIELDS} FROM followup_drafts WHERE investor_id = ? AND archived_at IS NULL"
                " ORDER BY created_at DESC, rowid DESC LIMIT ?", (investor_id, limit))]

    # --- what a draft is made from -------------------------------------------------------------------

    def _context(self, conn, actor: Principal, investor_id: str, thread_id: str | None) -> dict:
        """Everything a suggestion or a save needs, read in one go: the investor and its people,
        the conversation (linked to this investor), who may receive the draft, the person's own
        mailbox and name, the reply headers and the recent touches."""
        row = self.grid.view().rows.get(investor_id or "")
        if row is None or row.archived_at:
            raise NotFound(f"investor {investor_id} does not exist" + (" (it is archived)" if row else ""))
        columns = self.grid.columns()
        name_col = next((c["id"] for c in columns if c.get("primary")), None)
        investor_name = str(row.values.get(name_col) or "this investor")
        people = [p for c in columns if c["type"] == "contacts" for p in (row.values.get(c["id"]) or [])
                  if isinstance(p, dict)]
        team = self.capture.mail.team_addresses(conn)
        is_team = lambda addr: self.team.is_team(addr, team)  # noqa: E731
        allowed: dict[str, dict] = {}
        for person in people:
            addr = (person.get("email") or "").strip().lower()
            if EMAIL_RE.match(addr) and not is_team(addr) and addr not in allowed:
                allowed[addr] = {"addr": addr, "name": _clean_name(person.get("name")), "source": "person",
                                 "title": person.get("title") or None}
        thread = None
        if thread_id:
            thread = queries.thread(conn, thread_id)
            if thread is None or not any(i["id"] == investor_id for i in thread["investors"]):
                raise NotFound(f"conversation {thread_id} is not one with {investor_name}")
            for part in thread["participants"]:
                addr = (part["addr"] or "").lower()
                if EMAIL_RE.match(addr) and not is_team(addr) and addr not in allowed:
                    allowed[addr] = {"addr": addr, "name": _clean_name(part["name"]), "source": "thread", "title": None}
        latest = None  # a new email (no conversation named) still reads the latest one, for context
        if not thread:
            found, _ = queries.threads(conn, investor_id, 1, 0)
            latest = queries.thread(conn, found[0]["id"]) if found else None
        user = conn.execute("SELECT email, username FROM users WHERE id = ?", (actor.id,)).fetchone()
        user_email, username = (user[0].lower(), user[1]) if user else ("", actor.name or "")
        found = conn.execute("SELECT id, email, auth FROM email_accounts WHERE email = ? AND archived_at IS NULL"
                             " AND auth IN ('delegation', 'oauth')", (user_email,)).fetchone() if user_email else None
        account = {"id": found[0], "email": found[1].lower(), "auth": found[2]} if found else None
        touches, _ = interaction_log.for_investor(conn, investor_id, TOUCHES, 0)
        return {"investor_name": investor_name, "people": people, "allowed": allowed, "thread": thread, "latest": latest,
                "to": _recipients(thread, allowed), "user_email": user_email, "account": account,
                "sender": _sender_name(conn, user_email, username), "touches": touches,
                "reply": _reply_headers(conn, thread, account) if thread else None}


DRAFT_FIELDS = ("id, investor_id, thread_id, mailbox, account_id, gmail_draft_id, gmail_message_id, gmail_thread_id,"
                " rfc_message_id, subject, snippet, to_addresses, model, created_by, created_by_name, created_at")


def draft_dict(r) -> dict:
    mailbox, gmail_thread = r[3], r[7]
    where = f"#all/{gmail_thread}" if gmail_thread else "#drafts"  # in the conversation, else under Drafts
    return {"id": r[0], "investor_id": r[1], "thread_id": r[2], "mailbox": mailbox, "gmail_draft_id": r[5],
            "gmail_message_id": r[6], "gmail_thread_id": gmail_thread, "subject": r[9], "snippet": r[10],
            "to": json.loads(r[11]), "model": r[12], "by": {"id": r[13], "name": r[14]}, "created_at": r[15],
            "open_url": f"https://mail.google.com/mail/u/{quote(mailbox, safe='@')}/{where}"}


class _Invalid(ValueError):
    """The model answered, but not with a usable draft."""


def _not_connected(user_email: str) -> str:
    who = f" ({user_email} is not a connected Gmail mailbox)" if user_email else ""
    return ("connect your mailbox in Settings -> Email first: a follow-up is saved as a draft in your own Gmail"
            + who)


def _recipients(thread: dict | None, allowed: dict) -> list[str]:
    """Who a follow-up goes to: the investor's person who last wrote in the conversation, else its
    people on the conversation's last message, else whoever outside the team last wrote in it,
    else the investor's first person with an email. Only ever an allowed address."""
    people = [a for a, v in allowed.items() if v["source"] == "person"]
    if thread:
        items = list(reversed(thread["items"]))
        for message in items:
            sender = ((message.get("from") or {}).get("addr") or "").lower()
            if sender in people:
                return [sender]
        if items:
            last = items[0]
            on_it = [(a.get("addr") or "").lower() for a in (last.get("to") or []) + (last.get("cc") or [])]
            mine = [a for a in on_it if a in people]
            if mine:
                return mine[:1]
        for message in items:
            sender = ((message.get("from") or {}).get("addr") or "").lower()
            if sender in allowed:
                return [sender]
    return people[:1]


def _reply_headers(conn, thread: dict, account: dict | None) -> dict | None:
    """In-Reply-To and References from the conversation's last message, and its Gmail thread in
    the person's own mailbox (only a thread that mailbox has can hold the draft)."""
    generated = "@" + mime.GENERATED_ID_DOMAIN
    items = [m for m in thread["items"] if not m["message_id"].endswith(generated)]
    if not items:
        return {"in_reply_to": None, "references": [], "gmail_thread_id": None}
    last = items[-1]
    parent = conn.execute("SELECT in_reply_to FROM email_messages WHERE id = ?", (last["id"],)).fetchone()
    refs = [r[0] for r in conn.execute("SELECT ref FROM email_references WHERE message_id = ? ORDER BY rowid",
                                       (last["id"],))]
    if parent and parent[0] in refs:  # stored first; it is the newest of the chain
        refs = [r for r in refs if r != parent[0]] + [parent[0]]
    chain = [r for r in refs + [last["message_id"]] if _MSGID.match(r) and not r.endswith(generated)][-20:]
    gmail_thread_id = None
    if account:
        found = conn.execute(
            "SELECT s.gmail_thread_id FROM email_sightings s JOIN email_messages m ON m.id = s.message_id"
            " WHERE m.thread_id = ? AND s.account_id = ? AND s.gmail_thread_id IS NOT NULL"
            " ORDER BY m.sent_at DESC LIMIT 1", (thread["id"], account["id"])).fetchone()
        gmail_thread_id = found[0] if found else None
    return {"in_reply_to": last["message_id"] if _MSGID.match(last["message_id"]) else None, "references": chain,
            "gmail_thread_id": gmail_thread_id}


def _sender_name(conn, user_email: str, username: str) -> str:
    """The person's name as their own mail shows it, else their username made readable."""
    if user_email:
        found = conn.execute("SELECT name, count(*) AS n FROM email_participants WHERE addr = ? AND name IS NOT NULL"
                             " AND name != '' GROUP BY name ORDER BY n DESC LIMIT 1", (user_email,)).fetchone()
        if found and _clean_name(found[0]):
            return _clean_name(found[0])
    words = re.split(r"[._\-\s]+", username or "")
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or "The team"


def _prompt(ctx: dict) -> str:
    """The model's context, at most MAX_CONTEXT_CHARS: who writes to whom, the conversation's
    last messages (their own words, newest kept) and the investor's recent touches."""
    to = ctx["allowed"].get(ctx["to"][0]) if ctx["to"] else None
    head = [f"Sender: {ctx['sender']}", f"Investor: {ctx['investor_name']}",
            "Recipient: " + (f"{to['name'] or to['addr']}" + (f", {to['title']}" if to and to.get("title") else "")
                             if to else "(unknown)")]
    touches = []
    for touch in ctx["touches"]:
        line = f"- {touch['occurred_at'][:10]} {touch['kind']}: {_one_line(touch['summary'])[:200]}"
        if touch.get("body"):
            line += f" — {_one_line(touch['body'])[:300]}"
        touches.append(line)
    touch_text = ("Recent touches (newest first):\n" + "\n".join(touches)) if touches else "Recent touches: none logged."
    thread_text, conversation = "", ctx["thread"] or ctx["latest"]
    if conversation:
        budget = MAX_CONTEXT_CHARS - len("\n".join(head)) - len(touch_text[:2_000]) - 200
        blocks: list[str] = []
        for message in reversed(conversation["items"][-THREAD_MESSAGES:]):
            who = (message.get("from") or {}).get("name") or (message.get("from") or {}).get("addr") or "unknown"
            text = _own_words(message.get("body_text") or message.get("snippet") or "")[:MESSAGE_CHARS]
            block = f"--- {message['sent_at'][:10]}, from {who} ({message['direction']}) ---\n{text or '(no text)'}"
            if len(block) > budget:
                block = block[:max(0, budget)]
            if not block:
                break
            blocks.insert(0, block)
            budget -= len(block) + 1
        what = ("The conversation this email replies to" if ctx["thread"] else
                "The latest conversation with them (for context: this is a new email, not a reply)")
        thread_text = f"{what}: “{_one_line(conversation['subject'])}” (its last messages, oldest first)\n" + \
            "\n".join(blocks)
    ask = "\n\nWrite the follow-up from the sender to the recipient."
    text = "\n".join(head) + "\n\n" + (thread_text + "\n\n" if thread_text else "") + touch_text[:2_000]
    return text[:MAX_CONTEXT_CHARS - len(ask)] + ask


def _compose(mailbox: str, sender: str, to: list[tuple[str, str]], subject: str, body: str,
             reply: dict | None) -> tuple[bytes, str]:
    """The draft as RFC 822 bytes (text/plain UTF-8) and its Message-ID (without <>)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(sender, mailbox)
    msg["To"] = ", ".join(_address(name, addr) for name, addr in to)
    msg["Subject"] = _one_line(subject)  # never a second header
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    message_id = make_msgid(domain=mailbox.rpartition("@")[2] or None)
    msg["Message-ID"] = message_id
    if reply and reply["in_reply_to"]:
        msg["In-Reply-To"] = f"<{reply['in_reply_to']}>"
        msg["References"] = " ".join(f"<{r}>" for r in reply["references"])
    msg.set_content(body + "\n")
    return msg.as_bytes(), message_id.strip("<>")


def _address(name: str, addr: str) -> str:
    name = _clean_name(name)
    try:
        return str(Address(display_name=name, addr_spec=addr)) if name else addr
    except (ValueError, IndexError, TypeError):
        return addr


def _clean_name(value) -> str:
    return _one_line(_CONTROL.sub("", value))[:120] if isinstance(value, str) else ""


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value or "").split())


def _reply_subject(subject: str) -> str:
    return ("Re: " + (_PREFIX.sub("", _one_line(subject or "")) or "(no subject)"))[:MAX_SUBJECT]


def _first_name(name: str) -> str:
    words = [w for w in re.split(r"\s+", name or "") if w]
    if len(words) > 1 and words[0].lower() in _TITLES:
        return f"{words[0]} {words[-1]}"  # "Dr. Quill", not "Dr."
    if "," in (name or ""):  # "Foster, Emily"
        after = name.split(",", 1)[1].split()
        if after:
            return after[0]
    return words[0].strip(",;:.") if words else ""


def _own_words(text: str) -> str:
    """A message's text without the quoted history under it."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if i and _QUOTE_START.match(line.strip()):
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


def _day(value: str) -> str:
    try:
        when = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return "your last message"
    year = "" if when.year == datetime.now(timezone.utc).year else f" {when.year}"
    return f"{when.day} {when:%B}{year}"


def _touch_phrase(touch: dict) -> str:
    day = _day(touch["occurred_at"])
    summary = _one_line(touch.get("summary") or "")
    if touch["kind"] == "email":
        summary = re.sub(r"^Email:\s*", "", summary)
        summary = re.sub(r"\s*\(\d+ messages?;.*\)$", "", summary)
    what = {"meeting": f"our meeting on {day}", "call": f"our call on {day}",
            "email": f"our emails of {day}"}.get(touch["kind"], f"our last conversation on {day}")
    if summary:
        what += f" (“{summary[:80].rstrip()}{'…' if len(summary) > 80 else ''}”)"
    return what


def _snippet(body: str) -> str:
    text = _one_line(body)
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS - 1].rstrip() + "…"
