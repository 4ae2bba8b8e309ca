"""The digest's content (backend/digest/builder.py, narrative.py, render.py), built against a real
server's database after real requests: users, investors, mail imported into two team mailboxes,
notes (one through a Matrix-bot token), cell edits, an archived investor and an archived column.
Then: both sections, one email counted once, directions, what is archived or outside [since, until)
left out, commitments/lists/stages old -> new, an empty day, the local model's path (what the prompt
holds, bounded) and every way it falls back, escaped inline-styled HTML, open tasks due or overdue
(backend/tasks' table; one made over HTTP shows for its owner, in the office's time zone)."""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from backend.config import LLMSettings
from backend.db import Database
from backend.digest import builder, narrative
from backend.digest.builder import Activity, Item, MemberDay
from backend.llm import MAX_PROMPT_CHARS, LocalModel
from helpers import PASSWORD, add_column, launch, sign_in

TZ = "Europe/Berlin"
URL = "https://crm.example.ts.net"
TEAM = ("fund.example",)
EVIL = "<script>alert(1)</script>"


def _raw(sender: str, to: list[str], subject: str, body: str, when: datetime, mid: str, cc: list[str] = ()) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, ", ".join(to), subject
    if cc:
        m["Cc"] = ", ".join(cc)
    m["Date"], m["Message-ID"] = format_datetime(when), f"<{mid}>"
    m.set_content(body)
    return m.as_bytes()


def _mbox(raws: list[bytes]) -> bytes:
    return b"".join(b"From digest@test Mon Jan  1 00:00:00 2026\n" + r.replace(b"\r\n", b"\n") + b"\n" for r in raws)


class World:
    """One server and what happened on it; `since`/`until` bound the day under test."""


@pytest.fixture(scope="module")
def world():
    srv = launch(CRM_TEAM_DOMAINS="fund.example")
    try:
        w = World()
        w.srv, admin = srv, srv.bootstrap()
        for name in ("ann", "ben"):
            made = admin.post("/api/admin/users", {"username": name, "email": f"{name}@fund.example",
                                                   "password": PASSWORD, "role": "member"})
            assert made.status == 201, made
            setattr(w, f"{name}_id", made.data["id"])
        ann, ben = sign_in(srv, "ann"), sign_in(srv, "ben")
        fund = add_column(admin, "Fund III", "fund")["id"]
        side = add_column(admin, "Side Letter", "text")["id"]
        people = {"Acme Capital": [("Jane Doe", "jane@acme.example"), ("John Roe", "john@acme.example")],
                  "Halcyon Family Office": [("Priya Nair", "priya@halcyon.example")],
                  EVIL: [("Eve Evil", "eve@evil.example")],
                  "Ghost Partners": [("Gus Ghost", "gus@ghost.example")], "Quarry Partners": []}
        w.ids = {}
        for name, persons in people.items():
            row = admin.post("/api/fundraising/rows", {"values": {
                "Name": name, "Contacts": [{"name": n, "email": e} for n, e in persons]}})
            assert row.status == 201, row
            w.ids[name] = row.data["id"]
        acme, halcyon, ghost = w.ids["Acme Capital"], w.ids["Halcyon Family Office"], w.ids["Ghost Partners"]
        quarry = w.ids["Quarry Partners"]
        # before the day: the values the day's edits start from
        assert admin.patch(f"/api/fundraising/rows/{acme}", {"values": {fund: 1_000_000, "Status": "Contacted"}}).status == 200

        start = time.time()
        w.since = datetime.fromtimestamp(int(start) + 2, timezone.utc)
        w.until = w.since + timedelta(hours=1)
        priya = lambda subject, when, mid: _raw("Priya Nair <priya@halcyon.example>", ["ann@fund.example"], subject,
                                               subject.lower(), when, mid)
        early = admin.request("POST", "/api/email/import?mailbox=ann@fund.example", headers={
            "Content-Type": "application/mbox"}, raw=_mbox([priya("Edge before since", w.since - timedelta(seconds=1),
                                                                  "m6@halcyon.example")]))
        assert early.status == 200 and early.data["new"] == 1, early
        time.sleep(max(0.0, w.since.timestamp() - time.time()) + 0.05)

        at = lambda minutes: w.since + timedelta(minutes=minutes)
        both = _raw("Jane Doe <jane@acme.example>", ["ann@fund.example", "ben@fund.example"], "Fund III deck questions",
                    "Thanks for the deck. Two questions on fees before our IC.", at(10), "m1@acme.example",
                    cc=["john@acme.example"])
        ann_box = [
            both,
            _raw("Ann <ann@fund.example>", ["priya@halcyon.example"], "Halcyon intro follow-up",
                 "Lovely to meet you; the data room is open.", at(20), "m2@fund.example"),
            _raw("Ann <ann@fund.example>", ["eve@evil.example"], "Deck <b>v2</b> & terms",
                 "See <img src=x onerror=alert(2)> attached.", at(25), "m3@fund.example"),
            _raw("Gus Ghost <gus@ghost.example>", ["ann@fund.example"], "Ghost secret subject", "boo", at(26),
                 "m4@ghost.example"),
            priya("Edge at since", w.since, "m5@halcyon.example"),
            priya("Edge at until", w.until, "m7@halcyon.example"),
            priya("Late arrival", w.since - timedelta(hours=3), "m10@halcyon.example"),  # sent before, captured now
            priya("Too old arrival", w.since - timedelta(days=3), "m11@halcyon.example"),
            _raw("Ann <ann@fund.example>", ["ben@fund.example"], "Internal only", "lunch?", at(30), "m8@fund.example"),
            _raw("Stranger <stranger@unknown.example>", ["ann@fund.example"], "Unmatched pitch", "seed round", at(31),
                 "m9@unknown.example"),
        ]
        for mailbox, raws in (("ann@fund.example", ann_box), ("ben@fund.example", [both])):
            done = admin.request("POST", f"/api/email/import?mailbox={mailbox}", raw=_mbox(raws),
                                 headers={"Content-Type": "application/mbox"})
            assert done.status == 200 and not done.data["errors"], done
        note = lambda client, row, **body: client.post(f"/api/fundraising/rows/{row}/interactions", body)
        assert note(ben, halcyon, kind="meeting", summary="Met Priya at their office",
                    body="They want co-invest rights").status == 201
        w.call = note(ann, acme, kind="call", summary="Call with Jane about the LPA").data
        token = admin.post("/api/admin/service-tokens", {"name": "Matrix intake", "scopes": ["intake:write"]}).data["token"]
        bot = srv.client(api_key=token)
        assert note(bot, acme, kind="note", source="matrix_intake", summary="Jane says IC meets on the 15th").status == 201
        assert note(ann, ghost, kind="note", summary="Ghost note content").status == 201
        for row, values in ((acme, {fund: 2_500_000}), (acme, {"List": "follow_up"}), (acme, {"Status": "Committed"}),
                            (halcyon, {side: "MFN side letter"}), (ghost, {fund: 5_000_000}),
                            (quarry, {"Status": "Passed"})):  # the seeded rule then moves it to the graveyard
            client = ben if side in values or row == quarry else ann
            assert client.patch(f"/api/fundraising/rows/{row}", {"values": values}).status == 200, values
        assert admin.delete(f"/api/fundraising/rows/{ghost}").status == 200
        assert admin.delete(f"/api/fundraising/columns/{side}").status == 200
        w.db = Database(srv.data_dir / "crm.db")
        w.fund = fund
        yield w
        w.db.close()
    finally:
        srv.stop()


def _build(w, model=None, public_url=URL, since=None, until=None):
    return builder.build(w.db, model, since or w.since, until or w.until, TZ, public_url, TEAM)


def flat(text: str) -> str:
    """The text with its wrapping undone (runs of whitespace as one space)."""
    return " ".join(text.split())


def _model(stub, timeout=5.0):
    return LocalModel(LLMSettings(stub.url, "m", "e", "", timeout))


def _prompt_members(request: dict) -> list[dict]:
    content = request["messages"][-1]["content"]
    return json.loads(content[content.index("{"):])["members"]


# --- what the digest holds ----------------------------------------------------------------------------

def test_both_sections_with_the_days_counts_and_the_fallback_narrative(world):
    d = _build(world)
    assert d["stats"] == {"emails": 5, "notes": 3, "changes": 5, "members": 3, "investors": 4, "empty": False}
    day = (world.until - timedelta(microseconds=1)).astimezone(ZoneInfo(TZ))
    assert d["subject"] == f"Venture CRM digest — {day:%a} {day.day} {day:%b}: 5 emails, 3 notes, 5 changes"
    assert d["narrative"] == "fallback" and d["model_error"] is None
    assert d["window"] == {"since": world.since.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                           "until": world.until.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "timezone": TZ}
    text = d["text"]
    members, investors = text.index("BY TEAM MEMBER"), text.index("BY INVESTOR")
    assert members < investors
    ann = flat(text[text.index("\nann <ann@fund.example>\n"):text.index("\nben <ben@fund.example>\n")])
    assert "Emailed Eve Evil (<script>alert(1)</script>) about 'Deck <b>v2</b> & terms' and Priya Nair" \
           " (Halcyon Family Office) about 'Halcyon intro follow-up'" in ann
    assert "heard from Priya Nair (Halcyon Family Office) about 'Late arrival', 'Edge at since' and Jane Doe" \
           " (Acme Capital) about 'Fund III deck questions';" in ann
    assert "called Acme Capital ('Call with Jane about the LPA')" in ann
    assert "moved Acme Capital's Fund III commitment from $1M to $2.5M" in ann
    assert "set Acme Capital's Status from Contacted to Committed" in ann
    assert "Acme Capital from Main to Follow-up" in ann
    ben = flat(text[text.index("\nben <ben@fund.example>\n"):investors])
    assert "Heard from Jane Doe (Acme Capital) about 'Fund III deck questions'" in ben
    assert "met Halcyon Family Office ('Met Priya at their office'); set Quarry Partners' Status to Passed." in ben
    assert "Automation 'Passed investors move to the graveyard': 1 run on 1 investor\n" in text
    assert "Matrix intake Noted via Matrix chat on Acme Capital ('Jane says IC meets on the 15th')." in flat(text)
    assert "Structured summary (no language model configured)." in text
    # the investor section: busiest first, each with its own counts
    order = [text.index(f"\n{name} — ", investors) for name in ("Acme Capital", "Halcyon Family Office",
                                                                  "Quarry Partners", EVIL)]
    assert order == sorted(order)
    assert "\nAcme Capital — 1 ← from them · 2 notes · 3 changes\n" in text
    assert "\nHalcyon Family Office — 2 ← from them · 1 → from us · 1 note\n" in text
    assert ("Quarry Partners — 2 changes • Status: (empty) → Passed (ben) • List: Main → Graveyard"
            " (Automation: Passed investors move to the graveyard) ") in flat(text)


def test_one_email_in_two_mailboxes_naming_two_people_counts_once(world):
    a = builder.collect(world.db, world.since, world.until, TEAM)
    acme = next(i for i in a.investors if i.name == "Acme Capital")
    mails = [i for i in acme.items if i.kind == "email"]
    assert len(mails) == 1 and acme.counts["inbound"] == 1 and "outbound" not in acme.counts
    assert mails[0].people == ("Jane Doe",) and mails[0].by == "ann, ben"  # from Jane, John only on copy
    members = {m.name: m for m in a.members}
    assert members["ann"].counts == {"emails_in": 3, "emails_out": 2, "notes": 1, "changes": 3}
    assert members["ben"].counts == {"emails_in": 1, "notes": 1, "changes": 1}
    assert a.totals["emails"] == 5 and a.totals["inbound"] == 3 and a.totals["outbound"] == 2
    text = flat(_build(world)["text"])
    assert text.count('Jane Doe: "Fund III deck questions"') == 1
    assert '← from them Jane Doe: "Fund III deck questions" — Thanks for the deck. Two questions on fees before' \
           ' our IC. (to ann, ben)' in text


def test_inbound_and_outbound_are_marked(world):
    text = _build(world)["text"]
    halcyon = flat(text[text.index("\nHalcyon Family Office — "):])
    assert '→ from us ann to Priya Nair: "Halcyon intro follow-up" — Lovely to meet you; the data room is open.' in halcyon
    assert '← from them Priya Nair: "Edge at since" — edge at since (to ann)' in halcyon
    assert '• Meeting: "Met Priya at their office" — They want co-invest rights (ben)' in halcyon


def test_archived_investors_columns_and_unmatched_or_internal_mail_never_appear(world):
    d = _build(world)
    for absent in ("Ghost", "gus@", "Side Letter", "MFN side letter", "Internal only", "Unmatched pitch", "$5M"):
        assert absent not in d["text"] and absent not in d["html"], absent


def test_the_window_is_since_inclusive_until_exclusive(world):
    text = _build(world)["text"]
    assert "Edge at since" in text and "Edge before since" not in text and "Edge at until" not in text
    # mail is in the window it was sent in if it was captured by then, else in the one it was captured in
    assert "Late arrival" in text and "Too old arrival" not in text
    earlier = _build(world, since=world.since - timedelta(hours=4), until=world.since)["text"]
    assert "Edge before since" in earlier and "Late arrival" not in earlier and "Edge at since" not in earlier
    call_at = datetime.fromisoformat(world.call["at"].replace("Z", "+00:00"))
    before = _build(world, until=call_at)["text"]
    after = _build(world, since=call_at)["text"]
    assert "Call with Jane about the LPA" not in before and "Call with Jane about the LPA" in after
    assert "Met Priya at their office" in before and "Met Priya at their office" not in after  # logged before the call
    assert "$2.5M" not in before and "$2.5M" in after  # the edit came after the call
    with sqlite3.connect(world.srv.data_dir / "crm.db") as conn:
        fund_at = conn.execute("SELECT at FROM grid_changes WHERE column_id = ? AND investor_id = ?"
                               " ORDER BY seq DESC LIMIT 1", (world.fund, world.ids["Acme Capital"])).fetchone()[0]
    moment = datetime.fromisoformat(fund_at.replace("Z", "+00:00"))
    assert "$2.5M" in _build(world, since=moment)["text"]
    assert "$2.5M" not in _build(world, until=moment)["text"]
    assert "$2.5M" in _build(world, until=moment + timedelta(microseconds=1))["text"]  # ms rounding is upwards


def test_commitments_lists_and_stages_show_old_and_new(world):
    text = _build(world)["text"]
    acme = flat(text[text.index("\nAcme Capital — "):text.index("\nHalcyon Family Office — ")])
    assert acme.startswith("Acme Capital — 1 ← from them · 2 notes · 3 changes • Fund III commitment: $1M → $2.5M (ann)"
                           " • Status: Contacted → Committed (ann) • List: Main → Follow-up (ann) • ")
    assert '• Note: "Jane says IC meets on the 15th" (Matrix intake, via Matrix chat)' in acme


def test_an_empty_day_is_a_short_no_activity_email(world, llm_stub):
    since = datetime(2020, 3, 2, 23, 0, tzinfo=timezone.utc)
    d = builder.build(world.db, _model(llm_stub), since, since + timedelta(days=1), TZ, URL, TEAM)
    assert d["subject"] == "Venture CRM digest — Tue 3 Mar: no activity"
    assert d["stats"] == {"emails": 0, "notes": 0, "changes": 0, "members": 0, "investors": 0, "empty": True}
    assert "No activity today." in d["text"] and "No activity today." in d["html"]
    assert "BY INVESTOR" not in d["text"] and len(d["text"].splitlines()) < 10
    assert llm_stub.requests == []  # nothing to narrate: the model is not asked


# --- the local model ------------------------------------------------------------------------------------

def test_the_local_models_narrative_is_used_and_its_prompt_holds_the_facts(world, llm_stub):
    llm_stub.reply = lambda request: json.dumps(
        {m["key"]: f"{m['name']} kept {m['totals']['investors']} investors warm." for m in _prompt_members(request)})
    d = _build(world, _model(llm_stub))
    assert d["narrative"] == "llm" and d["model_error"] is None
    assert "\nann <ann@fund.example>\n  ann kept 3 investors warm.\n" in d["text"]
    assert "\nben <ben@fund.example>\n  ben kept 3 investors warm.\n" in d["text"]
    assert "Written by the local model." in d["text"] and "Written by the local model." in d["html"]
    assert "moved Acme Capital's Fund III" not in d["text"]  # the model's words replaced the fallback
    [request] = llm_stub.requests
    assert request["model"] == "m" and request["response_format"] == {"type": "json_object"}
    assert sum(len(m["content"]) for m in request["messages"]) <= MAX_PROMPT_CHARS
    members = {m["name"]: m for m in _prompt_members(request)}
    assert set(members) == {"ann", "ben", "Matrix intake"}
    ann = "\n".join(members["ann"]["items"])
    assert "changed: Acme Capital's Fund III commitment from $1M to $2.5M" in ann
    assert '← email from Jane Doe (Acme Capital): "Fund III deck questions" — Thanks for the deck.' in ann
    assert '→ emailed Priya Nair (Halcyon Family Office): "Halcyon intro follow-up"' in ann
    assert 'note via Matrix chat on Acme Capital: "Jane says IC meets on the 15th"' in members["Matrix intake"]["items"]
    assert "Ghost" not in json.dumps(request)


@pytest.mark.parametrize("reply, why", [
    ({"status": 500}, "the model answered 500"),
    ("this is not json", "the model's answer is not JSON"),
    ('{"m1": "fine", "m2": "fine", "m3": "fine", "m9": "who?"}', "unknown members: 'm9'"),
    ('{"m1": "only one"}', "leaves out m2 (ben), m3 (Matrix intake)"),
    ('{"m1": "ok", "m2": ["a list"], "m3": "ok"}', "text for m2 (ben) is not a non-empty string"),
    ('{"m1": "ok", "m2": "' + "x" * 1300 + '", "m3": "ok"}', "is 1,300 characters, over 1,200"),
])
def test_any_unusable_answer_falls_back_for_the_whole_digest(world, llm_stub, reply, why):
    llm_stub.reply = lambda request: reply
    d = _build(world, _model(llm_stub))
    assert d["narrative"] == "fallback" and why in d["model_error"]
    assert "moved Acme Capital's Fund III commitment from $1M to $2.5M" in flat(d["text"])
    assert f"Structured summary (the model did not answer: {d['model_error']})." in flat(d["text"])
    assert f"Structured summary (the model did not answer: {d['model_error']})." in d["html"].replace("&#x27;", "'")
    assert len(llm_stub.requests) == 1


def test_a_hanging_model_falls_back_within_its_timeout(world, llm_stub):
    llm_stub.reply = lambda request: "hang"
    started = time.monotonic()
    d = _build(world, _model(llm_stub, timeout=1.0))
    assert time.monotonic() - started < 5
    assert d["narrative"] == "fallback" and d["model_error"] == "the model did not answer within 1 s"


def _busy_day(members: int, emails: int, notes: int) -> Activity:
    """A day far past any prompt: long subjects and snippets, hundreds of investors."""
    team = [MemberDay(f"user:{n}", f"member{n}", f"member{n}@fund.example", "user") for n in range(members)]
    for n in range(emails + notes):
        member = team[n % members]
        inv = f"inv{n % 400}"
        if n < emails:
            item = Item("email", f"2026-12-01T10:{n % 60:02d}:00.000Z", inv, f"Investor {n % 400}",
                        f"Subject {n} " + "s" * 500, "snippet " + "x" * 5000, "outbound" if n % 2 else "inbound",
                        (f"Person {n}",), member.name, ref=f"msg{n}")
            member.counts["emails_out" if n % 2 else "emails_in"] = member.counts.get("emails_out" if n % 2 else "emails_in", 0) + 1
        else:
            item = Item("note", "2026-12-01T11:00:00.000Z", inv, f"Investor {n % 400}", "note " + "n" * 3000,
                        "body " + "b" * 20000, by=member.name, ref=f"note{n}")
            member.counts["notes"] = member.counts.get("notes", 0) + 1
        member.items.append(item)
    for member in team:
        member.investors = list(dict.fromkeys((i.investor_id, i.investor) for i in member.items))
    totals = {k: 0 for k in ("emails", "inbound", "outbound", "notes", "changes", "members", "investors",
                             "automation_runs", "tasks", "tasks_overdue")}
    return Activity(team, [], totals, {"since": "2026-12-01T00:00:00.000Z", "until": "2026-12-02T00:00:00.000Z"})


def test_a_busy_day_prompt_stays_within_the_bound(llm_stub):
    activity = _busy_day(members=8, emails=2000, notes=500)
    llm_stub.reply = lambda request: json.dumps({m["key"]: f"{m['name']} was busy." for m in _prompt_members(request)})
    texts, source, error = narrative.narrate(activity, _model(llm_stub))
    assert (source, error) == ("llm", None) and texts["user:3"] == "member3 was busy."
    [request] = llm_stub.requests
    size = sum(len(m["content"]) for m in request["messages"])
    assert 10_000 < size <= MAX_PROMPT_CHARS
    members = _prompt_members(request)
    assert len(members) == 8 and all(len(m["items"]) == 12 for m in members)
    assert all(len(line) < 450 for m in members for line in m["items"])
    first = members[0]
    assert (first["totals"]["emails received"], first["totals"]["emails sent"], first["totals"]["notes"]) == (250, 0, 63)
    assert members[1]["totals"]["emails sent"] == 250  # member n has every 8th item from n: odd ones send
    assert first["not listed"].startswith(f"{len(activity.members[0].items) - 12} more: ")
    assert "Investor 0" in json.dumps(members)


def test_too_many_members_for_the_prompt_fall_back_without_asking(llm_stub):
    activity = _busy_day(members=700, emails=1400, notes=0)
    texts, source, error = narrative.narrate(activity, _model(llm_stub))
    assert source == "fallback" and "700 team members do not fit the prompt bound" in error
    assert llm_stub.requests == [] and len(texts) == 700
    assert texts["user:5"].startswith("Emailed Person 705 (Investor 305) about 'Subject 705 sss")
    assert "…' and Person 5 (Investor 5) about 'Subject 5 sss" in texts["user:5"]


# --- the mail itself ------------------------------------------------------------------------------------

def test_the_html_is_inline_styled_escaped_and_links_to_the_crm(world):
    html = _build(world)["html"]
    assert "<style" not in html.lower() and "<script" not in html.lower() and "<img" not in html.lower()
    assert "<link" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Deck &lt;b&gt;v2&lt;/b&gt; &amp; terms" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    for name, row in world.ids.items():
        link = f'href="{URL}/#/grid?investor={row}"'
        assert (link in html) == (name != "Ghost Partners"), name
    assert f'href="{URL}/#/settings/digest"' in html
    assert "max-width:640px" in html and "font-family:-apple-system" in html
    # the narrative's investor names link too (ann's paragraph names Acme Capital)
    ann = html[html.index(">ann <"):html.index(">ben <")]
    assert f'<a href="{URL}/#/grid?investor={world.ids["Acme Capital"]}"' in ann
    assert "← from them" in html and "→ from us" in html


def test_without_a_public_url_names_are_plain_and_the_footer_says_why(world):
    d = _build(world, public_url="")
    assert "href=" not in d["html"] and "/#/" not in d["text"]
    assert "Links to the CRM need CRM_PUBLIC_URL to be set." in d["text"]
    assert "Links to the CRM need CRM_PUBLIC_URL to be set." in d["html"]
    assert ">Acme Capital<" in d["html"]


def test_the_plain_text_part_reads_as_text(world):
    text = _build(world)["text"]
    assert not re.search(r"<(p|a|td|table|span)\b", text) and "&lt;" not in text and "&amp;" not in text
    assert text.startswith("Venture CRM digest — ") and text.endswith("\n")
    assert f"  {URL}/#/grid?investor={world.ids['Acme Capital']}\n" in text
    assert f"Digest settings: {URL}/#/settings/digest\n" in text
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 78


# --- tasks ----------------------------------------------------------------------------------------------

def test_open_tasks_due_or_overdue_appear(world, tmp_path):
    """Rows of the tasks table (migration 0011) in a copy of the day's database: open ones due by
    the window's last day appear (overdue: before its first); done, archived, later ones and those
    of an archived investor do not."""
    copy = tmp_path / "crm.db"
    with sqlite3.connect(world.srv.data_dir / "crm.db") as live, sqlite3.connect(copy) as conn:
        live.backup(conn)
        today = world.since.astimezone(ZoneInfo(TZ)).date()
        at = "2026-01-01T00:00:00.000Z"
        rows = [("t1", world.ids["Acme Capital"], "Send the LPA", (today - timedelta(days=2)).isoformat(), world.ann_id, 0, None),
                ("t2", world.ids["Halcyon Family Office"], "Call Priya back", today.isoformat(), world.ben_id, 0, None),
                ("t3", world.ids["Acme Capital"], "Done already", today.isoformat(), world.ben_id, 1, None),
                ("t4", world.ids["Acme Capital"], "Next month", (today + timedelta(days=30)).isoformat(), world.ben_id, 0, None),
                ("t5", world.ids["Acme Capital"], "Archived task", today.isoformat(), world.ben_id, 0, at),
                ("t6", world.ids["Ghost Partners"], "Ghost task", today.isoformat(), world.ben_id, 0, None)]
        conn.executemany("INSERT INTO tasks (id, investor_id, title, due, owner, done, archived_at, done_at,"
                         " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         [(*r, at if r[5] else None, at, at) for r in rows])
        conn.execute("PRAGMA journal_mode=WAL")
    db = Database(copy)
    try:
        before = hashlib.sha256(copy.read_bytes()).hexdigest()
        a = builder.collect(db, world.since, world.until, TEAM, TZ)
        d = builder.build(db, None, world.since, world.until, TZ, URL, TEAM)
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == before  # the digest never writes
    finally:
        db.close()
    tasks = {i.text: i for i in [i for d_ in a.investors for i in d_.items] if i.kind == "task"}
    assert set(tasks) == {"Send the LPA", "Call Priya back"}
    assert tasks["Send the LPA"].overdue and not tasks["Call Priya back"].overdue
    assert a.totals["tasks"] == 2 and a.totals["tasks_overdue"] == 1
    members = {m.name: m for m in a.members}
    assert members["ann"].counts["tasks"] == 1 and members["ben"].counts["tasks"] == 1
    text = flat(d["text"])
    assert f'Task overdue (due {today - timedelta(days=2)}): "Send the LPA" (ann)' in text
    assert f'Task due {today}: "Call Priya back" (ben)' in text
    assert "has 'Call Priya back' (Halcyon Family Office) due" in text
    assert d["stats"]["changes"] == 5  # tasks are not changes


def test_an_overdue_task_made_over_http_appears_for_its_owner(start_server):
    """The whole path: a member's task made through POST /api/tasks (due two days ago on the
    office's day, the digest's time zone) is in the day's digest, overdue, under that member; a
    colleague's task ticked done is not."""
    srv = start_server()
    admin = srv.bootstrap()
    assert admin.patch("/api/admin/digest/policy", {"timezone": TZ}).status == 200
    made = admin.post("/api/admin/users", {"username": "cara", "email": "cara@fund.example", "password": PASSWORD,
                                           "role": "member"})
    cara = sign_in(srv, "cara")
    lp = admin.post("/api/fundraising/rows", {"values": {"Name": "Overdue Holdings"}}).data
    today = datetime.now(ZoneInfo(TZ)).date()
    assert cara.get("/api/tasks").json["today"] == today.isoformat()  # the office's day
    task = cara.post("/api/tasks", {"title": "Chase the side letter", "investor_id": lp["id"], "in_days": 0})
    assert task.status == 201
    assert cara.patch(f"/api/tasks/{task.data['id']}", {"due": (today - timedelta(days=2)).isoformat()}).status == 200
    assert cara.get("/api/tasks?due=overdue").data[0]["overdue"]
    done = admin.post("/api/tasks", {"title": "Already sent", "investor_id": lp["id"], "due": "-1d"}).data
    assert admin.patch(f"/api/tasks/{done['id']}", {"done": True}).status == 200
    since = datetime.combine(today, datetime.min.time(), ZoneInfo(TZ))
    db = Database(srv.data_dir / "crm.db")
    try:
        a = builder.collect(db, since, since + timedelta(days=1), TEAM, TZ)
        d = builder.build(db, None, since, since + timedelta(days=1), TZ, URL, TEAM)
    finally:
        db.close()
    members = {m.name: m for m in a.members}
    items = [i for i in members["cara"].items if i.kind == "task"]
    assert [(i.text, i.overdue, i.investor) for i in items] == [("Chase the side letter", True, "Overdue Holdings")]
    assert made.data["id"] and all(i.text != "Already sent" for m in a.members for i in m.items)
    assert a.totals["tasks_overdue"] == 1
    assert f'Task overdue (due {today - timedelta(days=2)}): "Chase the side letter" (cara)' in flat(d["text"])
