"""A deterministic search corpus for LP/VC fundraising text, and 40 labelled queries.

`build(n)` returns `(chunks, queries)`:
- `chunks`: `n` dicts `{"id", "type", "investor", "text", "date"}` (type one of the index's chunk
  types: note, email, interaction, investor). Most are generated background: meeting notes, dated
  note lines, email-like bodies and interaction summaries about the fund's investors (family
  offices, endowments, pensions, funds of funds), its funds (Fund I/II/III), people, places and
  deals, drawn from a seeded `random.Random`, so the same `n` always gives the same corpus.
- `queries`: 40 dicts `{"q", "kind", "relevant"}`, `relevant` the set of chunk ids that answer it.

The relevant chunks are planted by hand, next to planted *hard negatives* (chunks sharing most of
a query's words but not answering it: another investor, section 4.1 instead of 4.2, SPV-0418
instead of SPV-0417). The background never uses a planted topic's reserved words (mining and its
synonyms, the planted people, investors, codes and project names), so a background chunk never
answers a query and the labels are complete. Query kinds:
- "paraphrase": the query says it with other words than the chunks ("mineral extraction" for
  "the mining deal"); sparse terms barely overlap, a dense model should help;
- "exact": names, codes and identifiers ("LPA section 4.2", "SPV-0417", "Ingrid Halvorsen");
  sparse should help;
- "mixed": a token plus a paraphrase ("Halvorsen" + "minerals").

Also here, shared by tests/test_search_index.py (which documents it) and bench/search_bench.py:
the stand-in embedder (`embed`: hashed character trigrams + a small synonym map, 128-d, no
network), `corpus_chunks` (corpus dicts -> `Chunk`s), `index_corpus` (the indexer's own write
path) and `run_query` (the index's own read path, as `Search.search` asks it).
"""
from __future__ import annotations

import hashlib
import math
import random
import re
from functools import lru_cache

from backend.search import sparse
from backend.search.chunking import Chunk
from backend.search.index import COLLECTION, ChunkIndex
from backend.search.indexer import EMBED_BATCH, Indexer

# --- background vocabulary (none of it answers a query) -------------------------------------------

BG_INVESTORS = [
    "Ashcombe Family Office", "Birchwood Capital", "Calloway Endowment", "Dunmore Pension Fund",
    "Eastgate Partners", "Fairlight Foundation", "Glenmore Trust", "Harrowgate Holdings",
    "Ivybridge Family Office", "Juniper Hill Endowment", "Kingsmere Capital", "Larchmont Foundation",
    "Marlowe Family Office", "Northcote Pension", "Oakhurst Fund of Funds", "Pemberton Trust",
    "Quarry Lane Partners", "Redcliffe Endowment", "Stanmore Family Office", "Thornbury Capital",
    "Upland Pension Plan", "Vantage Point Foundation", "Westbrook Holdings", "Yarrow Family Office",
    "Alder & Finch Partners", "Blue Harbor Endowment", "Cedar Row Capital", "Dovecote Family Office",
    "Elmstead University Endowment", "Foxley Insurance", "Greywell Sovereign Fund", "Hollins Family Trust",
    "Iron Gate Fund of Funds", "Jasper Lane Capital", "Kilbride Family Office", "Lowther Foundation",
    "Moorfield Pension Trust", "Newhaven Partners", "Orchard Street Capital", "Pinecrest Endowment",
]
BG_PEOPLE = [
    "Anna Keller", "Ben Okafor", "Clara Moreau", "David Lindqvist", "Elena Rossi", "Felix Wagner",
    "Grace Tanaka", "Henry Adeyemi", "Isla Fraser", "Jonas Berg", "Kavya Menon", "Lucas Ferreira",
    "Maya Cohen", "Nils Johansson", "Olivia Grant", "Pedro Alvarez", "Rachel Stein", "Samuel Osei",
    "Theo Laurent", "Uma Patel", "Victor Dubois", "Wen Li", "Yusuf Demir", "Zoe Mitchell",
]
BG_PLACES = ["London", "New York", "Boston", "Paris", "Munich", "Stockholm", "Toronto", "Dubai",
             "Hong Kong", "Amsterdam", "Madrid", "Chicago", "San Francisco", "Copenhagen", "Milan"]
BG_FUNDS = ["Fund I", "Fund II", "Fund III", "the Opportunity Fund", "the Seed Fund"]
BG_SECTORS = ["fintech", "enterprise software", "cybersecurity", "consumer brands", "logistics",
              "edtech", "insurtech", "developer tools", "marketplaces", "robotics", "gaming", "travel tech"]
BG_DEALS = ["Project Heron", "Project Maple", "the payments deal", "the logistics deal",
            "the marketplace deal", "Project Willow", "the security deal"]
BG_DOCS = ["the deck", "the PPM", "the track record", "the data room", "the subscription documents",
           "the audited accounts", "the capital account statement", "the team bios", "the reference list"]
BG_STAGES = ["first meeting", "follow-up", "diligence", "IC review", "soft circle", "verbal yes", "legal review"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

_BG_SENTENCES = [
    "{person} wants to see {doc} before the next call",
    "sent {doc} for {fund} and offered a follow-up in {place}",
    "{person} asked how {fund} compares with the prior vintage on DPI and TVPI",
    "they are rebalancing the private markets book and will revisit {fund} after their board meets",
    "good conversation about our {sector} pipeline and {deal}",
    "{person} likes the {sector} thesis but their allocation is full this year",
    "intro to {person} via a mutual friend in {place}",
    "discussed portfolio construction, reserves and the pacing of {fund}",
    "they would consider a ticket of ${amount}m in {fund} subject to IC",
    "{person} will share the feedback from their investment committee next week",
    "asked about the team's attribution and who led {deal}",
    "{person} is travelling to {place} and suggested we meet there",
    "moved to {stage}; next step is a call with their CIO",
    "they want a reference call with an existing LP of {fund}",
    "updated the pipeline tracker after the {stage} with {person}",
    "{person} flagged that their consultant needs {doc} in their own format",
    "shared the latest marks on {deal} and the {sector} portfolio",
    "they prefer to come in at the second close of {fund}",
    "{person} mentioned they backed two other {sector} managers last year",
    "quick catch-up about timing; nothing new on {fund}",
    # near-miss codes: other sections, SPVs and wire references than the planted ones
    "their counsel sent comments on LPA section {section}",
    "the wire for SPV-{spv} is confirmed",
    "paid the capital call, wire reference WR-{wire}",
]
_BG_EMAIL_OPEN = ["Hi {first},", "Dear {first},", "{first},", "Hello {first},"]
_BG_EMAIL_CLOSE = ["Looking forward to it.", "Speak soon.", "Let me know what works.", "Happy to send more."]


def _fill(rng: random.Random, template: str) -> str:
    person = rng.choice(BG_PEOPLE)
    return template.format(person=person, first=person.split()[0], doc=rng.choice(BG_DOCS),
                           fund=rng.choice(BG_FUNDS), place=rng.choice(BG_PLACES), sector=rng.choice(BG_SECTORS),
                           deal=rng.choice(BG_DEALS), stage=rng.choice(BG_STAGES), amount=rng.choice([1, 2, 3, 5, 7.5, 10, 15, 25]),
                           section=rng.choice(["4.1", "4.3", "4.4", "2.4", "5.2", "7.2", "8.1", "12.2"]),
                           spv=rng.choice(["0411", "0412", "0415", "0416", "0418", "0419", "0427", "0517"]),
                           wire=rng.choice(["88212", "88214", "88231", "81213", "38213", "88123", "98213"]))


def _date(rng: random.Random) -> str:
    return f"{rng.choice([2024, 2025, 2026])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _background(rng: random.Random) -> dict:
    kind = rng.choices(["note", "email", "interaction", "investor"], weights=[4, 3, 3, 1])[0]
    investor, day = rng.choice(BG_INVESTORS), _date(rng)
    sentences = [_fill(rng, rng.choice(_BG_SENTENCES)) for _ in range(rng.randint(2, 5))]
    if kind == "note":
        text = f"{day}: " + "; ".join(sentences) if rng.random() < 0.5 else ". ".join(s[0].upper() + s[1:] for s in sentences) + "."
    elif kind == "email":
        subject = rng.choice(["Re: {fund} next steps", "Following up on {fund}", "{doc} as promised", "Re: catch-up in {place}"])
        body = " ".join(s[0].upper() + s[1:] + "." for s in sentences)
        text = (_fill(rng, subject) + "\n\n" + _fill(rng, rng.choice(_BG_EMAIL_OPEN)) + "\n\n" + body + "\n\n"
                + rng.choice(_BG_EMAIL_CLOSE))
    elif kind == "interaction":
        title = rng.choice(["Call with {person}", "Coffee with {person} in {place}", "Zoom: {fund} update", "Lunch with {person}"])
        text = _fill(rng, title) + "\n\n" + ". ".join(s[0].upper() + s[1:] for s in sentences) + "."
    else:
        text = f"{investor} · " + rng.choice(["intro from {person}", "conference in {place}", "inbound via website",
                                              "warm intro ({person})", "existing LP of {fund}"])
        text = _fill(rng, text) + ". " + _fill(rng, rng.choice(_BG_SENTENCES)) + "."
    return {"type": kind, "investor": investor, "text": text, "date": day}


# --- the planted queries ---------------------------------------------------------------------------
# (kind, query, relevant [(investor, type, text)], hard negatives [(investor, type, text)])

R = tuple[str, str, str]
QUERIES: list[tuple[str, str, list[R], list[R]]] = [
    # -- paraphrase: the answer says it with other words --------------------------------------------
    ("paraphrase", "mineral extraction opportunity", [
        ("Evergreen Endowment", "note", "2026-11-03: met Sophie about the mining deal, she wants the ore grade data and the offtake terms"),
        ("Saltmarsh Family Office", "email", "Re: the mining deal\n\nHi Dan,\n\nOur partners are keen on the mining deal but want to understand the permitting risk at the pit before we commit."),
        ("Brightwater Pension", "interaction", "Call with the CIO\n\nWalked through the copper mine investment; they asked about the royalty structure and the miners' safety record.")], []),
    ("paraphrase", "who is worried about the management fee level", [
        ("Meridian Family Office", "note", "Hesitant on economics: thinks 2 and 20 is rich for a third vintage, wants a step-down after the investment period"),
        ("Calder University Endowment", "email", "Fee question\n\nHi Dan,\n\nOur committee is concerned that the annual charge on committed capital is high compared with peers; could you share a fee offset?")],
     [("Pemberton Trust", "note", "Fee schedule attached to the PPM, nothing else to add")]),
    ("paraphrase", "LPs that turned down our second fund", [
        ("Rowan Pension", "email", "Fund II decision\n\nDear Dan,\n\nAfter discussion our board has declined to participate in Fund II. We wish you well with the raise."),
        ("Hartwell Family Office", "note", "2025-04-12: passed on Fund II, no appetite for venture this year, revisit for the next vintage")], []),
    ("paraphrase", "decarbonisation and clean energy thesis", [
        ("Nordlys Foundation", "note", "Strong interest in climate infrastructure and the energy transition; wants a renewables carve-out"),
        ("Saltmarsh Family Office", "interaction", "Zoom with their climate lead\n\nThey only back carbon reduction and grid storage managers now; our solar and battery companies fit.")], []),
    ("paraphrase", "satellite and aerospace companies", [
        ("Cobalt Trust", "note", "Interested in the orbital launch deal; asked how many space startups are in the portfolio"),
        ("Drift Capital", "email", "Space exposure\n\nHi Dan,\n\nWe want more rocket and launch vehicle exposure; can we see the orbital pipeline?")], []),
    ("paraphrase", "chip fabrication exposure", [
        ("Brightwater Pension", "interaction", "Lunch with the CIO\n\nDiscussed co-investment rights in the semiconductor deal and the foundry capacity question.")], []),
    ("paraphrase", "medical devices and life sciences", [
        ("Calder University Endowment", "note", "Their healthcare team wants to see our medtech and biotech companies before IC"),
        ("Halden Insurance", "email", "Health portfolio\n\nDear Dan,\n\nCould you send the clinical-stage companies and the diagnostics pipeline?")], []),
    ("paraphrase", "farming and food supply chain", [
        ("Nordlys Foundation", "interaction", "Call about agtech\n\nThey like crop analytics and the vertical farm company; food security is a board priority.")], []),
    ("paraphrase", "wants to push back the closing date", [
        ("Rowan Pension", "note", "2026-02-09: asked to delay the final close to next year so it lands in their new budget"),
        ("Linnet Family Office", "email", "Timing\n\nHi Dan,\n\nWould it be possible to postpone our signing until after the summer? Our lawyers are slow.")], []),
    ("paraphrase", "asked for the quarterly investor report", [
        ("Evergreen Endowment", "note", "12 Oct: asked for the Q3 LP letter and the valuation update"),
        ("Greystone Pension", "email", "Q3 letter\n\nHi Dan,\n\nCould you resend the quarterly update? Our analyst cannot find it.")], []),
    ("paraphrase", "wants to invest alongside us in individual companies", [
        ("Brightwater Pension", "note", "Keen on co-invest rights; wants a sidecar allocation on the larger rounds"),
        ("Halden Insurance", "interaction", "Call about co-investments\n\nThey would take direct stakes next to the fund in growth rounds, no fee no carry.")], []),
    ("paraphrase", "artificial intelligence startups", [
        ("Kestrel Ridge Family Office", "note", "Wants to understand our machine learning companies and the model training costs"),
        ("Linnet Family Office", "email", "AI exposure\n\nHi Dan,\n\nOur principal reads a lot about large language models; how much of the portfolio is AI?")], []),
    ("paraphrase", "commercial property and buildings", [
        ("Greystone Pension", "note", "Their real estate allocation is overweight; office towers are marked down so venture is on hold")], []),
    ("paraphrase", "skeptical about venture returns", [
        ("Halden Insurance", "note", "Doubtful about VC performance after the last cycle; wants evidence that early stage beats the index"),
        ("Meridian Family Office", "interaction", "Coffee with the principal\n\nHe is unconvinced that venture outperforms public markets net of fees.")], []),

    # -- exact tokens: names, codes, identifiers ----------------------------------------------------
    ("exact", "LPA section 4.2", [
        ("Wexford Endowment", "email", "LPA comments\n\nHi Dan,\n\nOur counsel has a markup of LPA section 4.2 on the key person clause."),
        ("Greystone Pension", "note", "Legal: they want LPA section 4.2 changed so the key person event covers two partners")],
     [("Rowan Pension", "note", "Legal: comments on LPA section 4.1 (the investment period) only"),
      ("Linnet Family Office", "email", "LPA\n\nHi Dan,\n\nA small point on LPA section 7.2, the reporting deadline.")]),
    ("exact", "Project Falcon", [
        ("Kestrel Ridge Family Office", "note", "Project Falcon: they want to see the cap table before committing"),
        ("Saltmarsh Family Office", "email", "Project Falcon\n\nHi Dan,\n\nHappy to join the Project Falcon call on Thursday.")], []),
    ("exact", "Ingrid Halvorsen", [
        ("Nordlys Foundation", "interaction", "Call with Ingrid Halvorsen\n\nIngrid runs private markets at the foundation and owns the venture budget."),
        ("Nordlys Foundation", "note", "Ingrid Halvorsen is the decision maker; her deputy handles the paperwork")],
     [("Birchwood Capital", "note", "Ingrid Larsen left Birchwood last spring")]),
    ("exact", "SPV-0417", [
        ("Brightwater Pension", "email", "Wire for SPV-0417\n\nHi Dan,\n\nThe wire for SPV-0417 went out this morning.")],
     [("Halden Insurance", "email", "Wire for SPV-0418\n\nHi Dan,\n\nThe wire for SPV-0418 is scheduled for Friday.")]),
    ("exact", "Tobias Brandt", [
        ("Linnet Family Office", "note", "Tobias Brandt joined as CIO, former Goldman; wants a first meeting in Zug"),
        ("Linnet Family Office", "interaction", "Coffee with Tobias Brandt\n\nTobias likes seed funds with a strong Munich network.")], []),
    ("exact", "wire reference WR-88213", [
        ("Greystone Pension", "email", "Capital call paid\n\nDear Dan,\n\nPaid today, wire reference WR-88213 for the second drawdown.")], []),
    ("exact", "Form PF filing", [
        ("Wexford Endowment", "note", "Their compliance team asked whether our Form PF is filed for last year")], []),
    ("exact", "Cayman feeder", [
        ("Greywell Sovereign Fund", "email", "Structure\n\nHi Dan,\n\nWe can only invest through a Cayman feeder; is one planned for Fund III?")], []),
    ("exact", "ILPA reporting template", [
        ("Calder University Endowment", "note", "They require the ILPA reporting template for every quarter")], []),
    ("exact", "Wexford Endowment", [
        ("Wexford Endowment", "investor", "Wexford Endowment · intro from the placement agent"),
        ("Wexford Endowment", "interaction", "First meeting\n\nEndowment of a mid-sized university, wants to build a venture program.")], []),
    ("exact", "Zug", [
        ("Linnet Family Office", "email", "Meeting in Zug\n\nHi Dan,\n\nShall we meet at our office in Zug on the 14th?"),
        ("Linnet Family Office", "note", "Tobias Brandt joined as CIO, former Goldman; wants a first meeting in Zug")], []),
    ("exact", "Kestrel Ridge", [
        ("Kestrel Ridge Family Office", "investor", "Kestrel Ridge Family Office · warm intro from a portfolio founder")], []),
    ("exact", "MFN election", [
        ("Rowan Pension", "email", "Side letter\n\nDear Dan,\n\nAttached is our MFN election form for the side letter provisions.")], []),
    ("exact", "Saltmarsh", [
        ("Saltmarsh Family Office", "investor", "Saltmarsh Family Office · met at the Nordic LP summit")], []),

    # -- mixed: a token plus a paraphrase -----------------------------------------------------------
    ("mixed", "Evergreen view on minerals", [
        ("Evergreen Endowment", "note", "2026-11-03: met Sophie about the mining deal, she wants the ore grade data and the offtake terms")],
     [("Evergreen Endowment", "note", "Evergreen wants the Fund III deck and the team bios before the summer")]),
    ("mixed", "Project Falcon data room access", [
        ("Drift Capital", "email", "Falcon\n\nHi Dan,\n\nCould you open the Project Falcon data room for our analyst?")],
     [("Drift Capital", "email", "Data room\n\nHi Dan,\n\nThanks for the data room access for Fund III.")]),
    ("mixed", "Fund III pledge from Greystone", [
        ("Greystone Pension", "note", "2026-06-30: committed $20m to Fund III at the first close")],
     [("Greystone Pension", "note", "Greystone is still reviewing Fund II marks")]),
    ("mixed", "Meridian concerns about carried interest", [
        ("Meridian Family Office", "email", "Carry\n\nHi Dan,\n\nMeridian would want a lower carry above a 3x multiple; the current waterfall worries us.")],
     [("Meridian Family Office", "note", "Meridian asked for the fund's audited accounts")]),
    ("mixed", "Zurich meeting on the climate fund", [
        ("Nordlys Foundation", "interaction", "Meeting in Zurich\n\nDiscussed the renewables sleeve and whether the energy transition fund can take $10m.")],
     [("Halden Insurance", "interaction", "Meeting in Zurich\n\nDiscussed the Fund III timeline and the GP commitment.")]),
    ("mixed", "Rowan pulled out of Fund II", [
        ("Rowan Pension", "email", "Fund II decision\n\nDear Dan,\n\nAfter discussion our board has declined to participate in Fund II. We wish you well with the raise.")], []),
    ("mixed", "Halden co-investment appetite", [
        ("Halden Insurance", "interaction", "Call about co-investments\n\nThey would take direct stakes next to the fund in growth rounds, no fee no carry.")], []),
    ("mixed", "Ingrid on food security", [
        ("Nordlys Foundation", "interaction", "Call about agtech\n\nThey like crop analytics and the vertical farm company; food security is a board priority.")], []),
    ("mixed", "Calder endowment fee offset", [
        ("Calder University Endowment", "email", "Fee question\n\nHi Dan,\n\nOur committee is concerned that the annual charge on committed capital is high compared with peers; could you share a fee offset?")], []),
    ("mixed", "Tobias AI portfolio", [
        ("Linnet Family Office", "email", "AI exposure\n\nHi Dan,\n\nOur principal reads a lot about large language models; how much of the portfolio is AI?")], []),
    ("mixed", "Brightwater copper mine royalty", [
        ("Brightwater Pension", "interaction", "Call with the CIO\n\nWalked through the copper mine investment; they asked about the royalty structure and the miners' safety record.")],
     [("Brightwater Pension", "interaction", "Call with the CIO\n\nWalked through the fintech portfolio and the reserve strategy.")]),
    ("mixed", "Cobalt space launch interest", [
        ("Cobalt Trust", "note", "Interested in the orbital launch deal; asked how many space startups are in the portfolio")], []),
]
assert len(QUERIES) == 40

# Queries naming an investor: every chunk of that investor answers (each chunk's encoded text
# starts with its investor's name), and the background never borrows these investors.
INVESTOR_QUERIES = {"Wexford Endowment": "Wexford Endowment", "Kestrel Ridge": "Kestrel Ridge Family Office",
                    "Saltmarsh": "Saltmarsh Family Office"}

# Some planted texts answer two queries; a (investor, type, text) triple is one chunk.
# (Nordlys is the foundation Ingrid Halvorsen runs, Linnet is Tobias Brandt's office: the mixed
# queries naming them are answered by those investors' chunks, whose encoded text carries the name.)
PLANTED_INVESTOR_PEOPLE = {"Nordlys Foundation": "Ingrid Halvorsen", "Linnet Family Office": "Tobias Brandt"}


def build(n: int = 5000, seed: int = 7) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    planted: dict[tuple[str, str, str], int] = {}
    items: list[dict] = []

    def plant(investor: str, kind: str, text: str) -> int:
        key = (investor, kind, text)
        if key not in planted:
            planted[key] = len(items)
            items.append({"type": kind, "investor": investor, "text": text, "date": _date(rng)})
        return planted[key]

    labelled = []
    for kind, query, relevant, negatives in QUERIES:
        rel = {plant(*r) for r in relevant}
        for neg in negatives:
            plant(*neg)
        labelled.append((kind, query, rel))
    # the planted investors also get some everyday background, so their names alone are not answers
    planted_investors = sorted({k[0] for k in planted} - set(INVESTOR_QUERIES.values()))
    while len(items) < n:
        item = _background(rng)
        if rng.random() < 0.08:
            item["investor"] = rng.choice(planted_investors)
            if item["type"] == "investor":
                item["type"] = "note"
        items.append(item)
    order = list(range(len(items)))
    rng.shuffle(order)
    ids = {old: f"c{new:05d}" for new, old in enumerate(order)}
    chunks = sorted(({"id": ids[old], **item} for old, item in enumerate(items)), key=lambda c: c["id"])
    queries = []
    for kind, q, rel in labelled:
        relevant = {ids[i] for i in rel}
        if q in INVESTOR_QUERIES:
            relevant = {c["id"] for c in chunks if c["investor"] == INVESTOR_QUERIES[q]}
        queries.append({"q": q, "kind": kind, "relevant": relevant})
    return chunks, queries


# --- the stand-in embedder and the index round trip (shared by tests/test_search_index.py and
# bench/search_bench.py; documented in the test's docstring) ---------------------------------------

K = 5
DIM = 128
CONCEPT_WEIGHT = 1.5

# Synonym groups: each word of a group also carries the group's direction.
CONCEPTS = {
    "mining": "mining mine mines miner miners mineral minerals extraction extractive ore copper pit",
    "fees": "fee fees charge economics carry carried waterfall",
    "worry": "worried worries concern concerned concerns hesitant skeptical doubtful unconvinced",
    "returns": "returns performance outperforms beats",
    "decline": "declined decline passed pass turned pulled withdrew",
    "climate": "climate decarbonisation decarbonization carbon clean energy renewables renewable solar battery transition",
    "space": "satellite satellites aerospace space orbital launch rocket",
    "chips": "chip chips fabrication semiconductor semiconductors foundry silicon",
    "health": "medical healthcare health medtech biotech clinical diagnostics life sciences",
    "food": "farming farm food agtech crop crops agriculture",
    "delay": "delay postpone push defer",
    "report": "quarterly report letter q3 reporting",
    "coinvest": "alongside co-invest co-investment co-investments coinvest sidecar direct",
    "ai": "artificial intelligence ai machine learning language models",
    "property": "property buildings real estate towers",
    "commit": "pledge pledged commit committed commitment",
}
_CONCEPT_OF = {word: name for name, words in CONCEPTS.items() for word in words.split()}
_WORD = re.compile(r"[a-z0-9]+(?:[.\-'][a-z0-9]+)*")


def _hashed(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    return int.from_bytes(digest[:4], "big") % DIM, (1.0 if digest[4] & 1 else -1.0)


@lru_cache(maxsize=None)
def word_vector(word: str) -> tuple[float, ...]:
    vec = [0.0] * DIM
    padded = f"#{word}#"
    for i in range(len(padded) - 2):
        d, s = _hashed("t:" + padded[i:i + 3])
        vec[d] += s
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    vec = [v / norm for v in vec]
    concept = _CONCEPT_OF.get(word)
    if concept:
        for j in range(4):  # a concept is a few dimensions, so one hash collision does not carry it
            d, s = _hashed(f"c:{concept}:{j}")
            vec[d] += s * CONCEPT_WEIGHT / 2
    return tuple(vec)


def embed_one(text: str) -> list[float]:
    words = [w for w in _WORD.findall(sparse.fold(text)) if w not in sparse.STOP_WORDS]
    vec = [0.0] * DIM
    for w in words:
        for i, v in enumerate(word_vector(w)):
            vec[i] += v
    norm = math.sqrt(sum(v * v for v in vec))
    if not norm:
        vec[0], norm = 1.0, 1.0
    return [v / norm for v in vec]


def embed(texts: list[str]) -> list[list[float]]:
    return [embed_one(t) for t in texts]


def corpus_chunks(items: list[dict]) -> list[Chunk]:
    return [Chunk(key=c["id"], type=c["type"], source_id=c["id"],
                  investor_id="inv-" + hashlib.sha1(c["investor"].encode()).hexdigest()[:10],
                  text=c["text"], date=c["date"], investor_name=c["investor"]) for c in items]


def index_corpus(index: ChunkIndex, chunks: list[Chunk], embedder=embed) -> Indexer:
    """Write `chunks` through the indexer's own write path (no SQLite bookkeeping)."""
    indexer = Indexer(None, index, embedder)  # the db is only used by sync(); _upsert does not touch it
    for start in range(0, len(chunks), EMBED_BATCH):
        indexer._upsert(chunks[start:start + EMBED_BATCH])
    return indexer


def run_query(index: ChunkIndex, mode: str, q: str, k: int = K) -> list[str]:
    """Top-k chunk keys, asked the way Search.search asks (limit * 3 + 10 candidates)."""
    return [payload["key"] for _, payload in query_hits(index, mode, q, k * 3 + 10)][:k]


def query_hits(index: ChunkIndex, mode: str, q: str, limit: int) -> list[tuple[float, dict]]:
    query_sparse = sparse.SparseEncoder.query(q)
    if mode == "sparse":
        hits = index.search(query_sparse, None, {}, limit)
    elif mode == "hybrid":
        hits = index.search(query_sparse, embed([q])[0], {}, limit)
    else:  # dense alone: not a product mode, asked of the same collection for comparison
        answer = index.client().query_points(COLLECTION, query=embed([q])[0], using="dense", limit=limit, with_payload=True)
        hits = [(p.score, p.payload) for p in answer.points]
    return hits


