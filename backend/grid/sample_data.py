"""A realistic sample grid for a first look: three funds and thirty investors at every stage.

Loaded only into an empty grid, through the same write path as any edit (audited, attributed to
whoever asked), so it can be archived like any other data afterwards.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from ..errors import Conflict
from ..principal import Principal

FUNDS = (("Fund I", 2019, 40_000_000), ("Fund II", 2022, 120_000_000), ("Fund III", 2026, 200_000_000))
INVESTORS = (
    ("Halcyon Family Office", "Committed", "Existing LP", ("Maya Ortiz", "CIO")),
    ("Northgate Endowment", "Diligence", "Referral", ("Daniel Reyes", "Director of Private Markets")),
    ("Marisol Capital", "Meeting", "Conference", ("Priya Shah", "Partner")),
    ("Ellery Partners", "Contacted", "Inbound", ("Tom Becker", "Managing Director")),
    ("Cobalt Pension Trust", "Committed", "Existing LP", ("Grace Kim", "Head of Alternatives")),
    ("Aster & Vine", "Soft Circle", "Referral", ("Leo Marchetti", "Principal")),
    ("Tidewater Foundation", "Meeting", "Conference", ("Amara Okafor", "Investment Officer")),
    ("Quillon Holdings", "Contacted", "Cold outreach", ("Sven Larsen", "CEO")),
    ("Juniper Trust", "Not Contacted", "Referral", ("Hana Sato", "Trustee")),
    ("Oakmere LP", "Diligence", "Existing LP", ("Rafael Costa", "Partner")),
    ("Arden Family", "Passed", "Inbound", ("Claire Arden", "Principal")),
    ("Brightwater Capital", "Soft Circle", "Conference", ("Omar Haddad", "Managing Partner")),
    ("Kestrel University Endowment", "Meeting", "Referral", ("Ruth Feld", "Deputy CIO")),
    ("Vantage Ridge Ventures", "Committed", "Existing LP", ("Raj Rossi", "General Partner")),
    ("Solace Health Pension", "Not Contacted", "Cold outreach", ("Ines Duarte", "Portfolio Manager")),
    ("Larkspur Wealth", "Contacted", "Inbound", ("Ben Whitaker", "Advisor")),
    ("Meridian Fund of Funds", "Diligence", "Conference", ("Yuki Tanaka", "Senior Associate")),
    ("Pinecrest Foundation", "Passed", "Referral", ("Evan Brooks", "Executive Director")),
    ("Corvid Capital", "Meeting", "Inbound", ("Noor Rahman", "Partner")),
    ("Stillwater Family Office", "Soft Circle", "Existing LP", ("Julia Novak", "CIO")),
    ("Granite Peak Insurance", "Contacted", "Conference", ("Marcus Webb", "VP Investments")),
    ("Alder & Finch", "Not Contacted", "Referral", ("Sofia Lind", "Principal")),
    ("Bluebird Ventures LP", "Committed", "Existing LP", ("Chris Doyle", "Managing Director")),
    ("Redwood Sovereign Partners", "Meeting", "Cold outreach", ("Ahmed Karim", "Director")),
    ("Willow Creek Trust", "Contacted", "Inbound", ("Nina Petrov", "Trustee")),
    ("Harbor Light Capital", "Diligence", "Referral", ("Owen Clarke", "Partner")),
    ("Saffron Family Holdings", "Not Contacted", "Conference", ("Arjun Mehta", "Family Principal")),
    ("Evergreen Teachers Fund", "Soft Circle", "Existing LP", ("Laura Chen", "Head of PE")),
    ("Obsidian Partners", "Passed", "Cold outreach", ("Victor Hale", "Partner")),
    ("Lumen Angels Syndicate", "Meeting", "Inbound", ("Tess Moreau", "Lead")),
)
TICKETS = (100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000)


def load_sample(grid, actor: Principal, today: date | None = None) -> dict:
    """Create the sample funds and investors; 409 if the grid already has investors."""
    if grid.live_rows():
        raise Conflict("the grid already has investors; the sample is only for an empty grid", code="not_empty")
    today = today or date.today()
    rng = random.Random(2026)
    existing = {c["name"] for c in grid.columns()}
    for name, vintage, target in FUNDS:
        if name not in existing:
            grid.create_column(actor, name, "fund", {"vintage": vintage, "target": target})
    rows = []
    for name, status, source, (person, title) in INVESTORS:
        first = person.split()[0].lower()
        domain = name.split()[0].lower().replace("&", "") + ".example"
        values = {"Name": name, "Status": status, "Lead Source": source,
                  "Last Contact": (today - timedelta(days=rng.randint(2, 75))).isoformat()
                  if status != "Not Contacted" else None,
                  "Contacts": [{"name": person, "email": f"{first}@{domain}", "title": title}]}
        if status in ("Committed", "Soft Circle"):
            values["Fund III"] = rng.choice(TICKETS)
        if source == "Existing LP":
            values["Fund I"] = rng.choice(TICKETS)
            values["Fund II"] = rng.choice(TICKETS)
        if status == "Passed":
            values["Notes"] = "Passed for now: timing. Revisit next vintage."
        rows.append(values)
    created = grid.create_rows(actor, rows, reason="sample")
    return {"created": len(created)}
