"""Follow-up drafts (backend/email_integration/drafts.py) over real HTTP: suggestions from the
template (no model) and from the local model (the LLM stub: it reads the conversation; errors,
nonsense and a hang fall back to the template), and drafts saved in the requesting person's own
mailbox of the Gmail emulator: threaded as a reply (threadId, In-Reply-To, References, "Re:"),
logged, audited and listed on the investor, addressed only to the investor's people or the
conversation's participants, refused without a connected mailbox, and never sent."""
from __future__ import annotations

import base64
import email
import email.policy
import json
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from gmail_emulator import GmailEmulator, make_service_account_key
from helpers import PASSWORD, sign_in, upload_key, wait_idle

TEAM = {"CRM_TEAM_DOMAINS": "fund.example", "CRM_EMAIL_SYNC_INTERVAL_SECONDS": "0"}
ANN, BEN = "ann@fund.example", "ben@fund.example"
EMILY, MARK, JANE = ("efoster@brightwater-college.example", "mreyes@brightwater-college.example",
                     "jane.ops@brightwater-college.example")
BOB = "bob@otherlp.example"
INVESTOR = "Brightwater College Endowment"
SUBJECT = "Fund III update"
ASK = "Our committee meets on 12 December; could you send the updated deck before then?"


def raw_message(msg_id, sender, to, subject, body, when, cc=(), in_reply_to=None, references=()) -> bytes:
    lines = [f"From: {sender}", f"To: {', '.join(to)}"] + ([f"Cc: {', '.join(cc)}"] if cc else []) + [
        f"Subject: {subject}", f"Date: {format_datetime(when)}", f"Message-ID: <{msg_id}>"]
    if in_reply_to:
        lines += [f"In-Reply-To: <{in_reply_to}>", "References: " + " ".join(f"<{r}>" for r in references)]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def conversation() -> list[bytes]:
    """Ann writes to Emily; Emily answers, copying Mark and a colleague the grid does not know."""
    now = datetime.now(timezone.utc)
    return [
        raw_message("m1.update@fund.example", f"Ann Whitaker <{ANN}>", [f"Emily Foster <{EMILY}>"], SUBJECT,
                    "Hi Emily,\n\nHere is the Fund III update you asked for.\n\nBest,\nAnn", now - timedelta(days=6)),
        raw_message("m2.reply@brightwater-college.example", f"Emily Foster <{EMILY}>", [f"Ann Whitaker <{ANN}>"],
                    "Re: " + SUBJECT, f"Thanks Ann.\n\n{ASK}\n\nOn Monday, Ann Whitaker wrote:\n> Here is the update",
                    now - timedelta(days=4), cc=[f"Mark Reyes <{MARK}>", f"Jane Ops <{JANE}>"],
                    in_reply_to="m1.update@fund.example", references=["m1.update@fund.example"]),
    ]


def seed_grid(admin) -> dict:
    rows = [{"values": {"Name": INVESTOR, "Contacts": [{"name": "Emily Foster", "email": EMILY, "title": "Director"},
                                                       {"name": "Mark Reyes", "email": MARK}]}},
            {"values": {"Name": "Other LP", "Contacts": [{"name": "Bob Stone", "email": BOB}]}},
            {"values": {"Name": "Quiet Capital", "Contacts": [{"name": "Dr. Ada Quill", "email": "ada@quiet.example"}]}}]
    made = admin.post("/api/fundraising/rows/bulk", {"rows": rows})
    assert made.status == 201, made
    name_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c.get("primary"))
    return {r["values"][name_col]: r["id"] for r in made.data}


def thread_of(client, investor_id) -> dict:
    threads = client.get(f"/api/email/threads?investor={investor_id}").data
    return next(t for t in threads if SUBJECT in t["subject"])


def draft_requests(gm) -> list[dict]:
    return [json.loads(body) for method, path, _, body in gm.requests if method == "POST" and path.split("?")[0].endswith("/drafts")]


def sends(gm) -> list[str]:
    return [path for method, path, _, _ in gm.requests if "messages/send" in path] + \
        [path for method, path in gm.batch_items if "messages/send" in path]


@pytest.fixture
def mail_world(start_server):
    """A server on the Gmail emulator: the admin is ann@fund.example, whose mailbox (delegation)
    holds the conversation with Brightwater and is synced; a member ben@fund.example has none yet."""
    with GmailEmulator() as gm:
        for raw in conversation():
            gm.add_message(ANN, raw, thread_id="t-fund3")
        srv = start_server(**TEAM, CRM_GMAIL_API_URL=gm.url, CRM_GOOGLE_TOKEN_URL=gm.token_url)
        admin = srv.bootstrap(email=ANN)
        ids = seed_grid(admin)
        assert upload_key(admin, make_service_account_key(gm.token_url)).status == 201
        assert admin.post("/api/email/accounts", {"email": ANN}).status == 201
        wait_idle(admin)
        made = admin.post("/api/admin/users", {"username": "ben", "email": BEN, "password": PASSWORD, "role": "member"})
        assert made.status == 201, made
        member = sign_in(srv, "ben")
        yield {"srv": srv, "gm": gm, "admin": admin, "member": member, "ids": ids,
               "thread": thread_of(admin, ids[INVESTOR])}


def test_template_suggestion_names_the_person(mail_world):
    admin, ids, thread = mail_world["admin"], mail_world["ids"], mail_world["thread"]
    plain = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR]})
    assert plain.status == 200, plain
    d = plain.data
    assert d["model"] == "template" and "no local model" in d["reason"] and d["thread_id"] is None
    assert d["to"] == [EMILY] and d["body"].startswith("Hi Emily,") and d["body"].rstrip().endswith("Ann Whitaker")
    assert f"our emails about “{SUBJECT}”" in d["body"]  # no touch logged: the latest conversation
    assert d["subject"] == "Following up" and d["mailbox"] == ANN and d["sender"] == "Ann Whitaker"
    assert {a["addr"] for a in d["allowed"]} == {EMILY, MARK}

    reply = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR], "thread_id": thread["id"]}).data
    assert reply["model"] == "template" and reply["thread_id"] == thread["id"]
    assert reply["subject"] == "Re: " + SUBJECT and reply["to"] == [EMILY]  # Emily wrote last
    assert f"“{SUBJECT}”" in reply["body"] and reply["body"].startswith("Hi Emily,")
    # The conversation's other outside participant may be chosen; the team never is.
    assert {a["addr"]: a["source"] for a in reply["allowed"]} == {EMILY: "person", MARK: "person", JANE: "thread"}

    quiet = admin.post("/api/email/drafts/suggest", {"investor_id": ids["Quiet Capital"]}).data
    assert quiet["to"] == ["ada@quiet.example"] and quiet["body"].startswith("Hi Dr. Quill,")
    assert "follow up and see how things stand" in quiet["body"]  # no touch, no conversation
    # A touch newer than the mail is what a new follow-up recalls.
    logged = admin.post(f"/api/fundraising/rows/{ids[INVESTOR]}/interactions", {"kind": "meeting", "summary": "Intro call with the committee"})
    assert logged.status == 201, logged
    met = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR]}).data
    assert "our meeting on" in met["body"] and "“Intro call with the committee”" in met["body"], met["body"]
    # A conversation with another investor is not one with this investor.
    assert admin.post("/api/email/drafts/suggest", {"investor_id": ids["Other LP"],
                                                    "thread_id": thread["id"]}).status == 404
    assert admin.post("/api/email/drafts/suggest", {"investor_id": "nope"}).status == 404
    assert admin.post("/api/email/drafts/suggest", {}).status == 400
    assert mail_world["member"].post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR]}).data["mailbox"] is None


def test_save_threads_a_draft_in_the_own_mailbox_and_sends_nothing(mail_world):
    admin, gm, ids, thread = mail_world["admin"], mail_world["gm"], mail_world["ids"], mail_world["thread"]
    inv = ids[INVESTOR]
    suggestion = admin.post("/api/email/drafts/suggest", {"investor_id": inv, "thread_id": thread["id"]}).data
    body = suggestion["body"].replace("Is there anything", "I will send the deck on Friday. Is there anything")
    saved = admin.post("/api/email/drafts", {"investor_id": inv, "thread_id": thread["id"], "to": [EMILY, JANE.upper()],
                                             "subject": suggestion["subject"], "body": body, "model": "template"})
    assert saved.status == 201, saved
    d = saved.data
    assert d["mailbox"] == ANN and d["thread_id"] == thread["id"] and d["gmail_draft_id"] and d["created_at"]
    assert d["to"] == [EMILY, JANE] and d["gmail_thread_id"] == "t-fund3"
    assert d["open_url"] == "https://mail.google.com/mail/u/ann@fund.example/#all/t-fund3"

    # In ann's Gmail: one draft, in the conversation's Gmail thread, a reply by its headers.
    assert list(gm.drafts) == [ANN] and len(gm.drafts[ANN]) == 1
    (request,) = draft_requests(gm)
    assert request["message"]["threadId"] == "t-fund3"
    parsed = email.message_from_bytes(gm.drafts[ANN][0], policy=email.policy.default)
    assert parsed["In-Reply-To"] == "<m2.reply@brightwater-college.example>"
    assert parsed["References"].split() == ["<m1.update@fund.example>", "<m2.reply@brightwater-college.example>"]
    assert parsed["Subject"] == "Re: " + SUBJECT and "Ann Whitaker" in parsed["From"] and ANN in parsed["From"]
    assert EMILY in parsed["To"] and JANE in parsed["To"] and "Emily Foster" in parsed["To"]
    assert "I will send the deck on Friday." in parsed.get_content()
    assert "DRAFT" in next(m for m in gm._box(ANN).messages.values() if m.raw == gm.drafts[ANN][0]).labels
    assert sends(gm) == [] and gm.sent == {}  # never messages.send

    listed = admin.get(f"/api/email/drafts?investor={inv}").data
    assert [x["id"] for x in listed] == [d["id"]] and listed[0]["subject"] == "Re: " + SUBJECT
    assert listed[0]["by"]["name"] == "admin" and listed[0]["model"] == "template" and "deck on Friday" in listed[0]["snippet"]
    entries = [e for e in admin.get("/api/audit-log?limit=50").data if e["action"] == "email.draft_created"]
    assert len(entries) == 1 and entries[0]["entity_id"] == inv and entries[0]["details"]["mailbox"] == ANN

    # A new follow-up (no conversation) files under Drafts; the list is newest first.
    second = admin.post("/api/email/drafts", {"investor_id": inv, "to": [MARK], "subject": "Following up",
                                              "body": "Hi Mark,\n\nA quick follow-up.\n\nAnn"})
    assert second.status == 201 and second.data["open_url"].endswith("/#drafts"), second
    assert "threadId" not in draft_requests(gm)[1]["message"]
    assert "In-Reply-To" not in email.message_from_bytes(gm.drafts[ANN][1])
    assert [x["id"] for x in admin.get(f"/api/email/drafts?investor={inv}").data] == [second.data["id"], d["id"]]
    # A reply whose subject was changed still says "Re:".
    third = admin.post("/api/email/drafts", {"investor_id": inv, "thread_id": thread["id"], "to": [EMILY],
                                             "subject": "The deck", "body": "Hi Emily, attached soon."})
    assert third.data["subject"] == "Re: The deck"
    assert sends(gm) == [] and gm.sent == {}
    # Drafts are not captured by sync.
    admin.post("/api/email/sync", {})
    wait_idle(admin)
    assert admin.get(f"/api/email/threads/{thread['id']}").data["messages"] == 2


def test_only_the_investors_people_and_the_conversation(mail_world):
    admin, gm, ids, thread = mail_world["admin"], mail_world["gm"], mail_world["ids"], mail_world["thread"]
    inv = ids[INVESTOR]
    base = {"investor_id": inv, "subject": "Following up", "body": "Hi,\n\nFollowing up.\n\nAnn"}
    for stranger in (BOB, JANE, BEN, "someone@gmail.com"):  # another LP's, the thread's (no thread given), the team's
        refused = admin.post("/api/email/drafts", {**base, "to": [EMILY, stranger]})
        assert refused.status == 400 and stranger in refused.json["error"] and refused.json["field"] == "to", refused
    with_thread = admin.post("/api/email/drafts", {**base, "thread_id": thread["id"], "to": [BOB]})
    assert with_thread.status == 400 and BOB in with_thread.json["error"]
    assert admin.post("/api/email/drafts", {**base, "to": ["not an address"]}).status == 400
    assert admin.post("/api/email/drafts", {**base, "to": []}).status == 400
    assert admin.post("/api/email/drafts", {**base, "to": [f"p{i}@brightwater-college.example" for i in range(11)]}).status == 400
    assert admin.post("/api/email/drafts", {**base, "to": [EMILY], "body": "x" * 20001}).status == 400
    assert admin.post("/api/email/drafts", {**base, "to": [EMILY], "subject": " "}).status == 400
    assert admin.post("/api/email/drafts", {**base, "to": [EMILY], "thread_id": "nope"}).status == 404
    assert draft_requests(gm) == [] and gm.drafts == {}
    assert admin.get(f"/api/email/drafts?investor={inv}").data == []

    # An archived investor takes no follow-ups.
    assert admin.delete(f"/api/fundraising/rows/{ids['Other LP']}").status == 200
    assert admin.post("/api/email/drafts/suggest", {"investor_id": ids["Other LP"]}).status == 404
    gone = admin.post("/api/email/drafts", {**base, "investor_id": ids["Other LP"], "to": [BOB]})
    assert gone.status == 404 and gm.drafts == {}
    assert admin.get("/api/email/drafts").status == 400  # ?investor= is required


def test_each_person_drafts_in_their_own_mailbox_only(mail_world):
    admin, member, gm, ids, thread = (mail_world[k] for k in ("admin", "member", "gm", "ids", "thread"))
    inv = ids[INVESTOR]
    draft = {"investor_id": inv, "to": [EMILY], "subject": "Following up", "body": "Hi Emily,\n\nFollowing up.\n\nBen"}
    missing = member.post("/api/email/drafts", draft)
    assert missing.status == 409 and "connect your mailbox in Settings -> Email first" in missing.json["error"]
    assert BEN in missing.json["error"] and gm.drafts == {}
    # ben's suggestion still works, and says his mailbox is not connected.
    offer = member.post("/api/email/drafts/suggest", {"investor_id": inv, "thread_id": thread["id"]}).data
    assert offer["mailbox"] is None and "Settings -> Email" in offer["mailbox_hint"] and offer["body"].startswith("Hi Emily")
    assert offer["body"].rstrip().endswith("Ben")

    assert admin.post("/api/email/accounts", {"email": BEN}).status == 201
    wait_idle(admin)
    mine = member.post("/api/email/drafts", {**draft, "thread_id": thread["id"]})
    assert mine.status == 201 and mine.data["mailbox"] == BEN, mine
    assert list(gm.drafts) == [BEN] and not gm.drafts.get(ANN)
    # ben's mailbox never saw the conversation: no Gmail thread, but still a reply by its headers.
    assert "threadId" not in draft_requests(gm)[0]["message"]
    assert email.message_from_bytes(gm.drafts[BEN][0])["In-Reply-To"] == "<m2.reply@brightwater-college.example>"
    assert mine.data["open_url"] == "https://mail.google.com/mail/u/ben@fund.example/#drafts"
    ours = admin.post("/api/email/drafts", draft)
    assert ours.status == 201 and ours.data["mailbox"] == ANN and len(gm.drafts[ANN]) == 1
    assert {x["mailbox"] for x in admin.get(f"/api/email/drafts?investor={inv}").data} == {ANN, BEN}
    # A mailbox archived is not connected any more.
    accounts = {a["email"]: a["id"] for a in admin.get("/api/email/accounts").data}
    assert admin.delete(f"/api/email/accounts/{accounts[BEN]}").status == 200
    assert member.post("/api/email/drafts", draft).status == 409
    # Gmail failing: nothing recorded, the person is told — and a 5xx is not retried, since Gmail
    # may have made the draft before failing (a second copy would be worse than the error).
    posts = lambda: sum(1 for m, p, *_ in gm.requests if m == "POST" and "/drafts" in p)  # noqa: E731
    before = posts()
    gm.fail("/drafts", status=500, times=10, retry_after="0")
    failed = admin.post("/api/email/drafts", draft)
    assert failed.status == 502 and "Gmail did not save the draft" in failed.json["error"], failed
    assert posts() == before + 1, "a draft creation that failed with a 5xx was retried"
    assert len(admin.get(f"/api/email/drafts?investor={inv}").data) == 2
    # A rate limit is a refusal before any work: that one is tried again, and the draft is saved once.
    gm._failures.clear()
    gm.fail("/drafts", status=429, times=1, retry_after="0")
    assert admin.post("/api/email/drafts", draft).status == 201
    assert posts() == before + 3 and len(gm.drafts[ANN]) == 2
    assert sends(gm) == []


# -- the local model ---------------------------------------------------------------------------

MODEL_DRAFT = {"subject": "Fund III deck", "body": "Hi Emily,\n\nThank you for the note. I will send the updated deck"
               " ahead of the committee on 12 December.\n\nBest regards,\nAnn Whitaker"}


@pytest.fixture
def model_world(start_server, llm_stub):
    srv = start_server(**TEAM, CRM_LLM_BASE_URL=llm_stub.url, CRM_LLM_TIMEOUT_SECONDS="1")
    admin = srv.bootstrap(email=ANN)
    ids = seed_grid(admin)
    mbox = b"".join(b"From x@y Mon Jan  1 00:00:00 2026\n" + raw.replace(b"\r\n", b"\n") + b"\n"
                    for raw in conversation())
    imported = admin.request("POST", f"/api/email/import?mailbox={ANN}", raw=mbox,
                             headers={"Content-Type": "application/mbox"})
    assert imported.status == 200 and imported.data["matched"] == 2, imported
    return {"admin": admin, "ids": ids, "thread": thread_of(admin, ids[INVESTOR]), "llm": llm_stub}


def test_model_suggestion_reads_the_conversation_on_the_local_model(model_world):
    admin, ids, thread, llm = model_world["admin"], model_world["ids"], model_world["thread"], model_world["llm"]
    llm.reply = json.dumps(MODEL_DRAFT)
    got = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR], "thread_id": thread["id"]})
    assert got.status == 200, got
    d = got.data
    assert d["model"] == "llm" and "reason" not in d and d["body"] == MODEL_DRAFT["body"]
    assert d["subject"] == "Re: " + SUBJECT  # a reply keeps the conversation's subject
    assert d["to"] == [EMILY] and d["mailbox"] is None  # imported, not connected: copy or mailto
    (request,) = llm.requests
    prompt = "\n".join(m["content"] for m in request["messages"])
    assert ASK in prompt and INVESTOR in prompt and "Emily Foster" in prompt and "Ann Whitaker" in prompt
    assert "> Here is the update" not in prompt  # the quoted history is cut
    assert request["temperature"] == 0 and request["response_format"] == {"type": "json_object"}
    assert len(prompt) <= 8_000 + len(request["messages"][0]["content"])
    # Without a conversation the model's subject is kept; it still reads the latest one, as context.
    llm.reset()
    fresh = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR]}).data
    assert fresh["model"] == "llm" and fresh["subject"] == "Fund III deck" and fresh["thread_id"] is None
    assert ASK in llm.requests[0]["messages"][1]["content"] and "not a reply" in llm.requests[0]["messages"][1]["content"]


@pytest.mark.parametrize("answer, why", [
    ("this is not json", "not JSON"),
    (json.dumps({"subject": 5, "body": "Hi Emily, following up on the deck. Best, Ann"}), "subject"),
    (json.dumps({"subject": "Hi", "body": ""}), "no body"),
    (json.dumps({"subject": "Hi", "body": "x" * 5000}), "over"),
    ({"status": 500}, "answered 500"),
    ("hang", "did not answer within 1 s"),
])
def test_model_trouble_falls_back_to_the_template(model_world, answer, why):
    admin, ids, thread, llm = model_world["admin"], model_world["ids"], model_world["thread"], model_world["llm"]
    llm.reply, llm.hang_seconds = answer, 5
    started = time.monotonic()
    got = admin.post("/api/email/drafts/suggest", {"investor_id": ids[INVESTOR], "thread_id": thread["id"]})
    assert got.status == 200 and time.monotonic() - started < 4.5, got
    d = got.data
    assert d["model"] == "template" and why in d["reason"] and "template" in d["reason"], d
    assert d["body"].startswith("Hi Emily,") and d["subject"] == "Re: " + SUBJECT
    assert len(llm.requests) == 1


def test_raw_draft_is_base64url_of_real_mime():
    """The unit under the save: a reply's headers, names quoted, no header injection."""
    from backend.email_integration.drafts import _compose
    raw, message_id = _compose(ANN, "Ann \"The\" Whitaker", [("Foster, Emily", EMILY)], "Re: Fund\nBcc: x@y.z", "Hi\r\n",
                               {"in_reply_to": "a@b", "references": ["z@y", "a@b"], "gmail_thread_id": None})
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"] == f"<{message_id}>" and message_id.endswith("@fund.example")
    assert parsed["To"].addresses[0].addr_spec == EMILY and parsed["To"].addresses[0].display_name == "Foster, Emily"
    assert parsed["Bcc"] is None and parsed["References"] == "<z@y> <a@b>"
    assert base64.urlsafe_b64decode(base64.urlsafe_b64encode(raw)) == raw


def test_the_prompt_is_bounded_and_keeps_the_newest():
    from backend.email_integration.drafts import MAX_CONTEXT_CHARS, _prompt
    long = "word " * 5000
    items = [{"from": {"name": "Emily Foster", "addr": EMILY}, "sent_at": f"2026-11-0{i}T10:00:00.000Z",
              "direction": "inbound", "body_text": f"message {i} " + long} for i in range(1, 9)]
    ctx = {"allowed": {EMILY: {"addr": EMILY, "name": "Emily Foster", "title": None}}, "to": [EMILY], "sender": "Ann",
           "investor_name": INVESTOR, "thread": {"subject": SUBJECT, "items": items}, "latest": None,
           "touches": [{"occurred_at": "2026-11-01T00:00:00Z", "kind": "note", "summary": "s" * 600, "body": long}] * 5}
    text = _prompt(ctx)
    assert len(text) <= MAX_CONTEXT_CHARS and text.endswith("Write the follow-up from the sender to the recipient.")
    assert "message 8" in text and "message 1 " not in text and "Recent touches" in text
