"""The intake matcher on a table of pairs that should and should not match (a score >= 0.5 is
"likely the same investor"), plus its ranking and edit distance."""
from __future__ import annotations

import random

import pytest

from backend.intake.matcher import (LIKELY, candidates, edit_distance, name_tokens, person_key, score,
                                    within_two_edits)

JANE = [{"name": "Jane Doe", "email": "jane@acme.com"}]
CHARLES = [{"name": "Charles Dunn", "email": "cdunn@dunnfamily.com"}]
BILL = [{"name": "William Park", "email": "wpark@parkfo.com"}]
LIZ = [{"name": "Elizabeth Moreau", "email": "e.moreau@moreau-patrimoine.fr"}]
GMAIL = [{"name": "Margaret Chen", "email": "margaret.chen.family@gmail.com"}]
NONE: list = []

# (query, email, investor name, its people, should it match)
PAIRS = [
    # legal suffixes, punctuation, accents, case
    ("Acme Capital", "", "Acme Capital LLC", NONE, True),
    ("Acme Capital LLC", "", "Acme Capital", NONE, True),
    ("Acme Capital, L.P.", "", "Acme Capital LP", NONE, True),
    ("ACME CAPITAL", "", "Acme Capital", NONE, True),
    ("Acme Capital Inc.", "", "Acme Capital Ltd", NONE, True),
    ("Müller Holding GmbH", "", "Muller Holding", NONE, True),
    ("Lefèvre Patrimoine", "", "Lefevre Patrimoine SA", NONE, True),
    ("Smith & Sons", "", "Smith and Sons", NONE, True),
    ("Halvorsen Family Office", "", "Halvorsen Family Office AS", NONE, True),
    ("Blue Heron Capital", "", "Blue Heron Capital Partners", NONE, True),
    ("Northbridge University Endowment", "", "Northbridge University Endowment Fund", NONE, True),
    ("Kestrel", "", "Kestrel Capital", NONE, True),
    ("Sakura Pension Trust", "", "Sakura Pension", NONE, True),
    ("Cedar and Finch Wealth", "", "Cedar & Finch Wealth", NONE, True),
    ("Granite Peak Capital, LLC", "", "Granite Peak", NONE, True),
    ("Oakhaven Endowment Fund", "", "Oakhaven Endowment", NONE, True),
    ("Meridian Foundation Inc", "", "The Meridian Foundation", NONE, True),
    ("Rivera Family Trust", "", "Rivera Trust", NONE, True),
    ("Pinecrest Pension Plan", "", "Pinecrest Pension", NONE, True),
    ("Summit Ridge FoF", "", "Summit Ridge", NONE, True),
    # people, with nicknames
    ("Charlie Dunn", "", "Dunn Family Office", CHARLES, True),
    ("Chuck Dunn", "", "Dunn Family Office", CHARLES, True),
    ("Charles Dunn", "", "Dunn Family Office", CHARLES, True),
    ("Bill Park", "", "Park Family Office", BILL, True),
    ("Will Park", "", "Park Family Office", BILL, True),
    ("Liz Moreau", "", "Moreau Patrimoine", LIZ, True),
    ("Beth Moreau", "", "Moreau Patrimoine", LIZ, True),
    ("Jane Doe", "", "Acme Capital", JANE, True),
    ("jane doe", "", "Acme Capital", JANE, True),
    ("Margaret Chen", "", "Chen Family", GMAIL, True),
    ("Maggie Chen", "", "Chen Family", GMAIL, True),
    # emails: exact, typos, domains
    ("", "jane@acme.com", "Acme Capital", JANE, True),
    ("Someone", "JANE@ACME.COM", "Acme Capital", JANE, True),
    ("", "jane@acme.co", "Acme Capital", JANE, True),
    ("", "jnae@acme.com", "Acme Capital", JANE, True),
    ("", "jane@acmee.com", "Acme Capital", JANE, True),
    ("", "janed@acme.com", "Acme Capital", JANE, True),
    ("", "bob@acme.com", "Acme Capital", JANE, True),               # a colleague: same domain
    ("Bob Smith", "bob@acme.com", "Acme Capital", JANE, True),
    ("", "cdunn@dunnfamily.com", "Dunn Family Office", CHARLES, True),
    ("", "cdun@dunnfamily.com", "Dunn Family Office", CHARLES, True),
    ("", "margaret.chen.family@gmail.com", "Chen Family", GMAIL, True),
    ("", "margaret.chen.famly@gmail.com", "Chen Family", GMAIL, True),
    ("", "e.moreau@moreau-patrimoine.fr", "Moreau Patrimoine", LIZ, True),
    ("Jane at Acme", "jane@acme.com", "Acme Capital LLC", JANE, True),
    ("Acme", "jane@acme.com", "Acme Capital", JANE, True),
    # should NOT match: different organisations that share weak words
    ("Acme Capital", "", "Zenith Capital", NONE, False),
    ("Blue Heron Capital", "", "Red Fox Capital", NONE, False),
    ("Halvorsen Family Office", "", "Park Family Office", NONE, False),
    ("Northbridge University Endowment", "", "Southgate College Endowment", NONE, False),
    ("Sakura Pension Trust", "", "Pinecrest Pension Plan", NONE, False),
    ("Meridian Foundation", "", "Lakeside Health Foundation", NONE, False),
    ("Granite Peak Capital", "", "Granite Ridge Partners", NONE, False),  # one word in three: two firms
    ("Capital Partners LLC", "", "Acme Capital Partners", NONE, False),
    ("The Family Office", "", "Halvorsen Family Office", NONE, False),
    ("Global Investments", "", "Acme Global Investments", NONE, False),
    ("Oakhaven", "", "Oak Haven Partners", NONE, False),
    ("Kestrel Capital", "", "Kite Capital", NONE, False),
    ("Rivera Family Trust", "", "Rivers Family Trust", NONE, False),
    ("Summit Ridge", "", "Summit Health", NONE, False),
    # should NOT match: people who are not the investor's
    ("Charles Dunn", "", "Acme Capital", JANE, False),
    ("Jane Smith", "", "Acme Capital", JANE, False),
    ("John Doe", "", "Acme Capital", JANE, False),
    ("Charlie Brown", "", "Dunn Family Office", CHARLES, False),
    ("Bill Gates", "", "Park Family Office", BILL, False),
    ("Liz Taylor", "", "Moreau Patrimoine", LIZ, False),
    ("Dunn", "", "Acme Capital", JANE, False),
    # should NOT match: emails
    ("", "jane@zenith.com", "Acme Capital", JANE, False),
    ("", "someone@gmail.com", "Chen Family", GMAIL, False),        # free mail says nothing
    ("", "margaret@gmail.com", "Chen Family", GMAIL, False),
    ("", "jdoe@outlook.com", "Acme Capital", JANE, False),
    ("", "x@acme.org", "Acme Capital", JANE, False),
    ("", "jack@acne.com", "Acme Capital", JANE, False),
    ("", "wpark@parkfamily.com", "Dunn Family Office", CHARLES, False),
    ("", "", "Acme Capital", JANE, False),
    ("", "not an email", "Acme Capital", JANE, False),
    # odd input
    ("!!!", "", "Acme Capital", NONE, False),
    ("LLC", "", "Acme Capital LLC", NONE, False),
    ("Inc.", "", "Zenith Inc.", NONE, False),
    ("   ", "", "Acme Capital", NONE, False),
    ("Acme", "", "", NONE, False),
    ("A", "", "A Capital", NONE, True),
    ("Ørsted Family Office", "", "Orsted Family Office", NONE, True),
    ("Fonds Lefèvre", "", "Lefevre Patrimoine", NONE, True),             # a shared distinctive word
]


def test_the_table_is_big_enough():
    assert len(PAIRS) >= 80 and sum(not p[4] for p in PAIRS) >= 30


@pytest.mark.parametrize("query, email, name, people, same", PAIRS,
                         ids=[f"{q or e or '-'}~{n}" for q, e, n, _, _ in PAIRS])
def test_pairs(query, email, name, people, same):
    value, reasons = score(query, email, name, people)
    assert (value >= LIKELY) == same, (value, reasons)
    assert 0.0 <= value <= 1.0
    if value >= LIKELY:
        assert reasons  # the card says why


def test_an_exact_email_scores_one_and_ranks_first():
    investors = [("a", "Acme Capital", JANE), ("b", "Acme Capital Partners", NONE), ("c", "Zenith", NONE)]
    found = candidates("Acme Capital", "jane@acme.com", investors)
    assert [c.investor_id for c in found][:2] == ["a", "b"] and found[0].score == 1.0
    assert "c" not in [c.investor_id for c in found]
    assert found[0].as_dict()["people"] == [{"name": "Jane Doe", "email": "jane@acme.com"}]


def test_at_most_five_candidates_best_first():
    investors = [(str(i), f"Acme Capital {i}", NONE) for i in range(9)] + [("x", "Acme Capital", NONE)]
    found = candidates("Acme Capital", "", investors)
    assert len(found) == 5 and found[0].investor_id == "x"
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_helpers():
    assert name_tokens("Acme Capital, L.P.") == ["acme", "capital"]
    assert person_key("Charlie  Dunn") == ("charles", "dunn")
    assert edit_distance("jane@acme.com", "jnae@acme.com") == 2
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("a" * 50, "b" * 50) == 3


@pytest.mark.parametrize("query, email, name, people, same", PAIRS,
                         ids=[f"{q or e or '-'}~{n}" for q, e, n, _, _ in PAIRS])
def test_the_index_finds_what_scoring_everyone_finds(query, email, name, people, same):
    """The index only narrows who is scored: a likely match is never lost to it."""
    from backend.intake.matcher import MatchIndex
    investors = [("it", name, people), ("other", "Quasar Holdings", [{"name": "Zed Quill", "email": "zq@quasar.io"}])]
    full = [c.investor_id for c in candidates(query, email, investors) if c.score >= LIKELY]
    indexed = [c.investor_id for c in MatchIndex(investors).candidates(query, email) if c.score >= LIKELY]
    assert indexed == full


def test_the_index_is_fast_on_a_big_grid():
    import random
    import time
    from backend.intake.matcher import MatchIndex
    rng = random.Random(1)
    words = ["Acme", "Blue", "Heron", "Granite", "Peak", "Summit", "Ridge", "Oak", "Cedar", "Finch", "Kestrel", "Pine"]
    investors = [(str(i), f"{rng.choice(words)} {rng.choice(words)} Capital {i}",
                  [{"name": f"Person {i}", "email": f"p{i}@inv{i}.com"}]) for i in range(50_000)]
    investors.append(("dunn", "Dunn Family Office", [{"name": "Charles Dunn", "email": "cd@dunnfo.com"}]))
    index = MatchIndex(investors)
    started = time.perf_counter()
    found = index.candidates("Charlie Dunn", "charlie@dunnfo.com")
    elapsed = time.perf_counter() - started
    assert found[0].investor_id == "dunn" and elapsed < 0.5, elapsed


def test_an_index_kept_up_to_date_answers_as_a_fresh_one():
    """put/remove (what the service does with the rows changed since its last match) leave the
    index answering exactly as one built from scratch over the same investors."""
    import random
    from backend.intake.matcher import MatchIndex
    rng = random.Random(7)
    names = ["Acme Capital LLC", "Acme Ventures", "Dunn Family Office", "Heron Partners", "Blue Heron LP",
             "Granite Peak Endowment", "Cedar & Finch", "Kestrel Trust"]
    people = [[], [{"name": "Charles Dunn", "email": "cd@dunnfo.com"}], [{"name": "Jane Doe", "email": "jane@acme.com"}],
              [{"name": "Bill Ortiz", "email": "bill@heron.example"}, {"name": "Liz Park"}]]
    live: dict[str, tuple] = {}
    index = MatchIndex([])
    for step in range(400):
        rid = f"r{rng.randrange(12)}"
        if rng.random() < 0.25:
            live.pop(rid, None)
            index.remove(rid)
        else:
            live[rid] = (rng.choice(names), rng.choice(people))
            index.put(rid, *live[rid])
        if step % 20 == 0:
            fresh = MatchIndex([(r, n, p) for r, (n, p) in live.items()])
            for query, email in (("Acme Capital", ""), ("Charlie Dunn", ""), ("", "jane@acme.com"),
                                 ("Heron", "bil@heron.example"), ("Kestrel", "")):
                got = sorted((c.investor_id, c.score) for c in index.candidates(query, email, limit=50))
                want = sorted((c.investor_id, c.score) for c in fresh.candidates(query, email, limit=50))
                assert got == want, (step, query, email)


def test_within_two_edits_agrees_with_the_edit_distance():
    rng = random.Random(7)
    letters = "abc.@"
    for _ in range(20_000):
        a = "".join(rng.choice(letters) for _ in range(rng.randint(0, 9)))
        b = list(a)
        for _ in range(rng.randint(0, 4)):
            where = rng.randint(0, len(b))
            move = rng.choice("ids")
            if move == "i":
                b.insert(where, rng.choice(letters))
            elif b and where < len(b):
                if move == "d":
                    del b[where]
                else:
                    b[where] = rng.choice(letters)
        b = "".join(b)
        assert within_two_edits(a, b) == (edit_distance(a, b) <= 2), (a, b)
