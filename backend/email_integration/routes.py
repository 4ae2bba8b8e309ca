"""HTTP handlers for captured mail: the activity list, messages, threads, proposals, people,
uploads, follow-up drafts (saved in the person's own Gmail, never sent), and (admins) the
service-account key, mailboxes and sync."""
from __future__ import annotations

from urllib.parse import quote

from . import queries
from ..errors import ApiError
from ..routing import ADMIN, PUBLIC, USER, Reply, Request, Route, created, ok, page
from ..validation import Field

DIRECTIONS = ("inbound", "outbound", "internal")
TEXT = Field(max_length=200, description="words in the subject, people, snippet or body")


def _redirect_uri(req: Request) -> str:
    return req.base_url() + "/api/email/oauth/callback"


def activity(req: Request) -> Reply:
    """Captured messages newest first, filtered by investor, mailbox, direction, dates and text."""
    a = req.args
    items, total = req.app.email.read(
        queries.activity, investor=a["investor"], mailbox=a["mailbox"], direction=a["direction"], since=a["from"],
        until=a["to"], text=a["q"], matched=a["matched"], thread=a["thread"],
        limit=a["limit"], offset=a["offset"])
    return ok(items, total=total, limit=a["limit"], offset=a["offset"])


def get_message(req: Request) -> Reply:
    """One message with its body (bodies exist only for mail matched to an investor)."""
    return ok(req.app.email.message(req.params["id"]))


def list_threads(req: Request) -> Reply:
    """Conversations newest first; ?investor= for one investor's."""
    items, total = req.app.email.read(queries.threads, req.args["investor"], req.args["limit"], req.args["offset"])
    return ok(items, total=total, limit=req.args["limit"], offset=req.args["offset"])


def get_thread(req: Request) -> Reply:
    """A conversation and its messages in order."""
    return ok(req.app.email.thread(req.params["id"]))


def get_attachment(req: Request) -> Reply:
    """An attachment's bytes (kept for matched mail, up to the size cap)."""
    name, content_type, data = req.app.email.attachment(req.params["id"])
    return Reply(200, data, content_type=content_type if "/" in content_type else "application/octet-stream",
                 headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                          "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})


def list_proposals(req: Request) -> Reply:
    """Touches to log and people to add that matched mail suggests, for a person to decide."""
    status = None if req.args["status"] == "all" else req.args["status"]
    items, total = req.app.email.read(queries.proposals, status, req.args["limit"], req.args["offset"])
    return ok(items, total=total, limit=req.args["limit"], offset=req.args["offset"])


def approve_proposal(req: Request) -> Reply:
    """Approve: log the thread as a touch on the investor, or add the person to it."""
    return ok(req.app.email.decide(req.principal, req.params["id"], True))


def approve_touches(req: Request) -> Reply:
    """Approve many touches at once (`ids`, or every pending touch when absent), in one step."""
    return ok(req.app.email.approve_touches(req.principal, req.data.get("ids")))


def reject_proposal(req: Request) -> Reply:
    """Reject a proposal (kept, marked rejected)."""
    return ok(req.app.email.decide(req.principal, req.params["id"], False))


def investor_signals(req: Request) -> Reply:
    """An investor's relationship signals from its mail (metadata only), computed now."""
    return ok(req.app.email.signals_for(req.params["id"]))


def list_people(req: Request) -> Reply:
    """Every person of every investor with their last touch in mail; ?q= searches."""
    return ok(req.app.email.people(req.args["q"]))


def import_mail(req: Request) -> Reply:
    """Import an mbox (Google Takeout) or one .eml through the same path as Gmail sync."""
    content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return ok(req.app.email.import_mail(req.principal, req.stream, content_type, req.args["mailbox"],
                                        req.args["upload"]))


def import_progress(req: Request) -> Reply:
    """How far an upload (?upload= given to the import) has got: messages and bytes read."""
    return ok(req.app.email.import_progress(req.params["id"]))


def status(req: Request) -> Reply:
    """Whether capture is on, whether a sync runs, and each mailbox's last sync."""
    return ok(req.app.email.status())


def list_accounts(req: Request) -> Reply:
    """The team mailboxes (synced or import-only) and how many messages each gave."""
    return ok(req.app.email.accounts())


def enrol_account(req: Request) -> Reply:
    """Enrol a team mailbox through domain-wide delegation (Google is asked at once)."""
    return created(req.app.email.enrol(req.principal, req.data["email"]))


def archive_account(req: Request) -> Reply:
    """Stop syncing a mailbox (its mail is kept)."""
    return ok(req.app.email.archive_account(req.principal, req.params["id"]))


def save_service_account(req: Request) -> Reply:
    """Store the Google service-account key (0600 in the data dir; never returned)."""
    return created(req.app.email.save_service_account_key(req.principal, req.body))


def sync_now(req: Request) -> Reply:
    """Sync every mailbox (or one) now, in the background."""
    return ok(req.app.email.sync_now((req.data or {}).get("account")), status=202)


def sync_runs(req: Request) -> Reply:
    """Recent sync and import runs with their counts, errors and duration."""
    return ok(req.app.email.runs(req.args["limit"]))


def rematch(req: Request) -> Reply:
    """Match all stored mail against the grid's people again."""
    return ok(req.app.email.rematch_all())


def suggest_draft(req: Request) -> Reply:
    """Suggest a follow-up to an investor (the local model, else a template); sends nothing."""
    return ok(req.app.email.drafts.suggest(req.principal, req.data["investor_id"], req.data.get("thread_id")))


def save_draft(req: Request) -> Reply:
    """Save a follow-up as a draft in your own Gmail mailbox, for you to review and send there."""
    d = req.data
    return created(req.app.email.drafts.save(req.principal, d["investor_id"], d.get("thread_id"), d["to"],
                                             d["subject"], d["body"], d.get("model")))


def list_drafts(req: Request) -> Reply:
    """The follow-up drafts saved in Gmail for an investor, newest first."""
    return ok(req.app.email.drafts.for_investor(req.args["investor"], req.args["limit"]))


def oauth_start(req: Request) -> Reply:
    """Begin per-user Gmail consent: the Google URL to send the browser to."""
    return ok(req.app.email.oauth_start(req.principal, _redirect_uri(req)))


def oauth_callback(req: Request) -> Reply:
    """Where Google sends the browser back; the signed state names the user who started."""
    try:
        account = req.app.email.oauth_callback(req.args["code"] or "", req.args["state"] or "", _redirect_uri(req))
        target = "/#/settings?tab=email&connected=" + quote(account["email"])
    except ApiError as exc:
        target = "/#/settings?tab=email&error=" + quote(exc.message[:300])
    return Reply(302, None, headers={"Location": target, "Cache-Control": "no-store"})


ROUTES: list[Route] = [
    Route("GET", "/api/email/activity", activity, USER, scope="email:read", tag="email", query={
        "investor": Field(max_length=64), "mailbox": Field(max_length=254), "direction": Field(choices=DIRECTIONS),
        "from": Field(max_length=30, description="earliest day or time (ISO)"),
        "to": Field(max_length=30, description="latest day (inclusive) or time (ISO)"), "q": TEXT,
        "matched": Field("boolean", nullable=True), "thread": Field(max_length=64), **page(50, 500)}),
    Route("GET", "/api/email/messages/{id}", get_message, USER, scope="email:read", tag="email"),
    Route("GET", "/api/email/threads", list_threads, USER, scope="email:read", tag="email",
          query={"investor": Field(max_length=64), **page(50, 500)}),
    Route("GET", "/api/email/threads/{id}", get_thread, USER, scope="email:read", tag="email"),
    Route("GET", "/api/email/attachments/{id}", get_attachment, USER, scope="email:read", tag="email"),
    Route("GET", "/api/email/proposals", list_proposals, USER, scope="email:read", tag="email", query={
        "status": Field(choices=("pending", "approved", "rejected", "superseded", "all"), default="pending"),
        **page(100, 500)}),
    Route("POST", "/api/email/proposals/approve-touches", approve_touches, USER, tag="email", body={
        "ids": Field("any", nullable=True, schema={"type": "array", "maxItems": 5000, "items": {"type": "string"}},
                     description="the touches to approve; absent: every pending touch")}),
    Route("POST", "/api/email/proposals/{id}/approve", approve_proposal, USER, tag="email"),
    Route("POST", "/api/email/proposals/{id}/reject", reject_proposal, USER, tag="email"),
    Route("GET", "/api/email/signals/{id}", investor_signals, USER, scope="email:read", tag="email"),
    Route("GET", "/api/email/people", list_people, USER, scope="email:read", tag="email", query={"q": TEXT}),
    Route("POST", "/api/email/import", import_mail, USER, tag="email", file="mail", query={
        "mailbox": Field(max_length=254, description="the team mailbox the mail is from (default: found per message)"),
        "upload": Field(max_length=64, description="an id of your choosing, to follow the upload's progress")}),
    Route("GET", "/api/email/import/{id}", import_progress, USER, tag="email"),
    Route("GET", "/api/email/status", status, USER, tag="email"),
    Route("GET", "/api/email/accounts", list_accounts, USER, tag="email"),
    Route("POST", "/api/email/accounts", enrol_account, ADMIN, tag="email",
          body={"email": Field("email", required=True)}),
    Route("DELETE", "/api/email/accounts/{id}", archive_account, ADMIN, tag="email"),
    Route("POST", "/api/admin/email/service-account", save_service_account, ADMIN, tag="email", file="json"),
    Route("POST", "/api/email/sync", sync_now, ADMIN, tag="email", body={"account": Field("email", nullable=True)}),
    Route("GET", "/api/email/sync/runs", sync_runs, USER, tag="email", query={"limit": Field(
        "integer", minimum=1, maximum=500, default=50)}),
    Route("POST", "/api/email/rematch", rematch, ADMIN, tag="email"),
    # Follow-up drafts are a person's own act in their own mailbox: no service-token scope.
    Route("POST", "/api/email/drafts/suggest", suggest_draft, USER, tag="email", body={
        "investor_id": Field(required=True, min_length=1, max_length=64),
        "thread_id": Field(max_length=64, nullable=True, description="the conversation the follow-up answers")}),
    Route("POST", "/api/email/drafts", save_draft, USER, tag="email", body={
        "investor_id": Field(required=True, min_length=1, max_length=64),
        "thread_id": Field(max_length=64, nullable=True, description="the conversation it answers (a threaded reply)"),
        "to": Field("array", required=True, min_length=1, max_length=10,
                    description="addresses of the investor's people or the conversation's participants"),
        "subject": Field(required=True, min_length=1, max_length=250),
        "body": Field(required=True, min_length=1, max_length=20000, description="plain text"),
        "model": Field(choices=("llm", "template", "manual"), nullable=True,
                       description="where the text came from (the suggestion's `model`, or manual)")}),
    Route("GET", "/api/email/drafts", list_drafts, USER, tag="email", query={
        "investor": Field(max_length=64, required=True), "limit": Field("integer", minimum=1, maximum=100, default=20)}),
    Route("POST", "/api/email/oauth/start", oauth_start, USER, tag="email"),
    Route("GET", "/api/email/oauth/callback", oauth_callback, PUBLIC, tag="email",
          query={"code": Field(max_length=2048), "state": Field(max_length=1024), "error": Field(max_length=200)}),
]
