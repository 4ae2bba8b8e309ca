"""Duplicates (backend/duplicates/): a table of investor pairs the finder must find or must not
(legal suffixes, nicknames, shared people's emails, a shared organisation domain; never a
free-mail domain alone or two different firms), dismissals that keep a pair away, the list kept
up to date after an edit, and blocking that finds what scoring every pair would."""
from __future__ import annotations

import itertools
import random
import uuid

import pytest

from backend.duplicates.service import MIN_SCORE, _pairs_for, name_keys, pair_score
from backend.intake.matcher import MatchIndex


def tag() -> str:
    return "q" + "".join(random.choice("bcdfghjklmnpqrstvwxz") for _ in range(7))


def person(name, email=None):
    return {"name": name, "email": email}


# (case, investor a, investor b, found?) — {t} is a word unique to the case.
PAIRS = [
    ("legal suffix", ("{t} Capital", []), ("{t} Capital LLC", []), True),
    ("punctuation and suffix", ("{t} & Co. Ltd", []), ("{t} and Co", []), True),
    ("nickname of a person-named investor", ("Charlie {t}", []), ("Charles {t}", []), True),
    ("one person under two entities (shared email)",
     ("Northwind {t}", [person("Jo Park", "jo@{t}.example")]),
     ("Park Family Office", [person("Joanne Park", "jo@{t}.example")]), True),
    ("a person with a nickname on both", ("Ember {t}", [person("Bill {t}")]), ("Cinder Holdings", [person("William {t}")]), True),
    ("shared organisation domain", ("Bluefin Holdings", [person("Ann", "ann@{t}.example")]),
     ("Harbor Trust", [person("Ben", "ben@{t}.example")]), True),
    ("free-mail domain alone", ("Zed {t}", [person("Ann Ray", "annray@gmail.com")]),
     ("Quill {t}x", [person("Ben Oak", "benoak@gmail.com")]), False),
    ("different firms sharing a weak word", ("Alder{t} Capital", []), ("Birch{t} Capital", []), False),
    ("different people with one surname", ("Anna {t}", []), ("Peter {t}", []), False),
]


def make(admin, name, people):
    t = make.tag
    values = {"Name": name.format(t=t)}
    if people:
        values["Contacts"] = [{k: (v.format(t=t) if v else v) for k, v in p.items()} for p in people]
    resp = admin.post("/api/fundraising/rows", {"values": values})
    assert resp.status == 201, resp
    return resp.data["id"]


@pytest.mark.parametrize("case,a,b,found", PAIRS, ids=[p[0] for p in PAIRS])
def test_the_pairs_table(admin, case, a, b, found):
    make.tag = tag()
    ida, idb = make(admin, *a), make(admin, *b)
    listed = admin.get(f"/api/fundraising/duplicates?investor_id={ida}")
    assert listed.status == 200, listed
    pair = next((p for p in listed.data if {p["a"], p["b"]} == {ida, idb}), None)
    if found:
        assert pair is not None, f"{case}: not found"
        assert pair["score"] >= MIN_SCORE and pair["reasons"]
        assert pair["into"] == ida  # the older row is the one to keep
        assert {pair["a_name"], pair["b_name"]} == {a[0].format(t=make.tag), b[0].format(t=make.tag)}
        everyone = admin.get("/api/fundraising/duplicates?limit=500").data
        assert any({p["a"], p["b"]} == {ida, idb} for p in everyone)
    else:
        assert pair is None, f"{case}: found {pair}"


def test_dismissed_pairs_do_not_come_back_and_undismiss(admin):
    make.tag = tag()
    ida, idb = make(admin, "{t} Partners", []), make(admin, "{t} Partners LP", [])

    def listed():
        return [p for p in admin.get(f"/api/fundraising/duplicates?investor_id={ida}").data if idb in (p["a"], p["b"])]
    assert listed()
    done = admin.post("/api/fundraising/duplicates/dismiss", {"a": idb, "b": ida})
    assert done.status == 200 and {done.data["a"], done.data["b"]} == {ida, idb}
    assert listed() == []
    admin.patch(f"/api/fundraising/rows/{ida}", {"values": {"Notes": "still the same pair"}})
    assert listed() == []  # an edit does not bring it back
    assert admin.post("/api/fundraising/duplicates/dismiss", {"a": ida, "b": idb}).status == 200  # idempotent
    assert admin.post("/api/fundraising/duplicates/undismiss", {"a": ida, "b": idb}).data["undismissed"]
    assert listed()
    assert admin.post("/api/fundraising/duplicates/dismiss", {"a": ida, "b": ida}).status == 400
    assert admin.post("/api/fundraising/duplicates/dismiss", {"a": ida, "b": "nope"}).status == 404


def test_the_list_follows_edits_and_archives(admin):
    make.tag = tag()
    ida, idb = make(admin, "{t} Ventures", []), make(admin, "{t} Ventures Inc", [])

    def paired():
        return any(idb in (p["a"], p["b"]) for p in admin.get(f"/api/fundraising/duplicates?investor_id={ida}").data)
    assert paired()
    admin.patch(f"/api/fundraising/rows/{idb}", {"values": {"Name": "Completely Other " + tag()}})
    assert not paired()
    admin.patch(f"/api/fundraising/rows/{idb}", {"values": {"Name": make.tag + " Ventures GmbH"}})
    assert paired()
    admin.delete(f"/api/fundraising/rows/{idb}")
    assert not paired()


def test_blocking_finds_what_scoring_every_pair_finds():
    rng = random.Random(18)
    firms = ["Acme", "Borealis", "Cedar", "Dunmore", "Elm", "Fjord", "Granite", "Halcyon", "Ivory", "Juniper"]
    words = ["Capital", "Partners", "Family Office", "Holdings", "Trust"]
    suffixes = ["", " LLC", " LP", " Inc", " GmbH"]
    firsts = ["Charles", "Charlie", "William", "Bill", "Robert", "Bob", "Ann", "Kate", "Katherine"]
    investors = []
    for i in range(240):
        firm = rng.choice(firms)
        domain = rng.choice([f"{firm.lower()}.example", "gmail.com", f"{firm.lower()}{i}.example"])
        first = rng.choice(firsts)
        name = (f"{firm} {rng.choice(words)}{rng.choice(suffixes)}" if rng.random() < 0.7
                else f"{first} {rng.choice(['Dunn', 'Lee', 'Okafor'])}")
        last = rng.choice(['Dunn', 'Lee'])
        # (a typo keeps the first or the last four letters of a local part this long: the index's keys)
        people = [{"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}{rng.randint(0, 3)}@{domain}"}]
        investors.append((str(uuid.UUID(int=i)), name, people))
    index = MatchIndex(investors)
    blocked, names = {}, name_keys(index)
    for slot in range(len(index.investors)):
        _pairs_for(index, slot, names, blocked)
    brute = {}
    for x, y in itertools.combinations(investors, 2):
        value, _ = pair_score(x, y)
        if value >= MIN_SCORE:
            brute[tuple(sorted((x[0], y[0])))] = value
    assert blocked and set(blocked) == set(brute)
    once, emails = {}, {}  # a whole pass meets each pair once, from its earlier slot
    for slot in range(len(index.investors)):
        _pairs_for(index, slot, names, once, later_only=True, emails=emails)
    assert once == blocked


def test_a_whole_pass_runs_in_the_background_with_its_progress(app, monkeypatch):
    """The first list after a start waits a little for the whole pass, then answers with its
    progress; a column change starts a new pass, and the pairs found before are shown meanwhile;
    a reset (a restore) forgets what a pass under way would have stored."""
    import threading

    from backend.duplicates import service
    from backend.principal import system
    who = system("test")
    t = tag()
    rows = app.grid.create_rows(who, [{"Name": f"{t} Capital"}, {"Name": f"{t} Capital LLC"}, {"Name": "Lone " + tag()}])
    gate, real = threading.Event(), service._pairs_for
    monkeypatch.setattr(service, "_pairs_for", lambda *a, **k: (gate.wait(5), real(*a, **k))[1])
    dups = app.duplicates
    dups.start()
    found, job = dups.found(wait=0.05)
    assert found is None and job.progress() == {"done": 0, "total": 3}
    assert dups.list(None, 50, 0) == ([], 0, {"done": 0, "total": 3})
    gate.set()
    found, job = dups.found()
    assert job is None and set(found.pairs) == {tuple(sorted((rows[0]["id"], rows[1]["id"])))}
    gate.clear()
    app.grid.create_column(who, "Sector " + t, "text", {})  # the change log says: compare everything again
    shown, job = dups.found(wait=0.05)
    assert shown is found and job is not None
    items, total, progress = dups.list(None, 50, 0)
    assert total == 1 and progress == {"done": 0, "total": 3}
    app.db.reset_caches()
    gate.set()
    assert job.finished.wait(5)
    assert dups._found is None  # the pass that ran across the reset stored nothing
    assert dups.list(None, 50, 0)[1:] == (1, None)


def test_the_pairs_kept_between_edits_equal_a_whole_pass(app):
    """After random renames, new people, archives and restores, the pairs and their ranking kept
    up to date row by row equal those of a whole pass over the same grid."""
    from backend.principal import system
    who = system("test")
    rng = random.Random(23)
    t = tag()
    names = [f"{t} Capital", f"{t} Capital LLC", f"{t} Partners", "Charlie Okafor", "Charles Okafor", "Ann Lee",
             f"Birch {t}", f"Birch {t} Trust"]
    rows = [r["id"] for r in app.grid.create_rows(who, [{"Name": rng.choice(names)} for _ in range(30)])]
    dups = app.duplicates
    dups.found()
    for _ in range(8):
        for _ in range(6):
            rid, choice = rng.choice(rows), rng.randrange(3)
            if app.grid.view().rows[rid].archived_at:
                choice = 2  # an archived investor is only restored
            if choice == 0:
                app.grid.update_row(who, rid, {"Name": rng.choice(names)})
            elif choice == 1:
                app.grid.update_row(who, rid, {"Contacts": [{"name": "Ann Lee", "email": f"ann@{t}.example"}]})
            else:
                app.grid.set_archived(who, rid, not app.grid.view().rows[rid].archived_at)
        kept, job = dups.found()
        assert job is None
        kept_state = (dict(kept.pairs), list(kept.ranking), {k: v for k, v in kept.by_row.items() if v})
        dups._forget()
        whole, _ = dups.found()
        assert kept is not whole
        assert kept_state == (whole.pairs, whole.ranking, {k: v for k, v in whole.by_row.items() if v})
    assert whole.pairs
