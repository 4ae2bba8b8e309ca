"""Relationship signals: the strength table on hand-computed cases, and the signals of a small
hand-made mailbox arriving in the grid's signal columns through the real server."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from backend.email_integration.signals import strength

NOW = datetime.now(timezone.utc)


@pytest.mark.parametrize("last, touches, inbound, outbound, level", [
    (None, 0, None, None, None),             # no mail: no strength at all
    (2, 14, 2, 5, "Very strong"),            # 3 + 3 + 2 = 8
    (3, 2, 3, 10, "Strong"),                 # 3 + 1 + 2 = 6
    (20, 6, None, 20, "Medium"),             # 2 + 2 + 0 = 4 (one way only)
    (60, 1, 60, 170, "Medium"),              # 1 + 0.5 + 2 = 3.5
    (80, 2, None, 80, "Weak"),               # 1 + 1 = 2
    (200, 0, 200, None, "Very weak"),        # 0.5
    (800, 0, 800, 900, "Very weak"),         # 0: mail long ago still counts as a relationship
])
def test_strength_levels(last, touches, inbound, outbound, level):
    assert strength(last, touches, inbound, outbound) == level


def mail(sender, to, days_ago, subject, message_id, cc=()):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = format_datetime(NOW - timedelta(days=days_ago))
    msg["Message-ID"] = f"<{message_id}@test.example>"
    msg.set_content(f"{subject}. Talk soon.")
    return msg.as_bytes()


def test_signals_of_a_hand_made_mailbox_land_in_the_grid(start_server):
    srv = start_server(CRM_TEAM_DOMAINS="fund.example", CRM_EMAIL_SYNC_INTERVAL_SECONDS="0")
    admin = srv.bootstrap()
    acme = admin.post("/api/fundraising/rows", {"values": {"Name": "Acme Capital", "Contacts": [
        {"name": "Jane Roe", "email": "jane@acme.example"}]}}).data["id"]
    quiet = admin.post("/api/fundraising/rows", {"values": {"Name": "Quiet Endowment"}}).data["id"]
    signal_cols = {}
    for kind in ("last_inbound", "last_outbound", "touches_90d", "knows_best", "relationship_strength"):
        made = admin.post("/api/fundraising/columns", {"name": kind.replace("_", " ").title(), "type": kind})
        assert made.status == 201, made
        signal_cols[kind] = made.data["id"]
    box = b"".join(b"From x@y Mon Jan  1 00:00:00 2026\n" + raw + b"\n" for raw in (
        mail("Jane Roe <jane@acme.example>", ["ann@fund.example"], 3, "Re: Fund III", "in1"),
        mail("Ann <ann@fund.example>", ["jane@acme.example"], 10, "Fund III", "out1"),
        mail("Ben <ben@fund.example>", ["jane@acme.example"], 200, "Hello", "out2"),
        mail("Ann <ann@fund.example>", ["ben@fund.example"], 1, "Internal", "int1"),
    ))
    result = admin.request("POST", "/api/email/import", raw=box, headers={"Content-Type": "application/mbox"})
    assert result.status == 200 and result.data["new"] == 4 and result.data["matched"] == 3, result
    deadline = time.time() + 20
    values = {}
    while time.time() < deadline:
        values = admin.get(f"/api/fundraising/rows/{acme}").data["values"]
        if values.get(signal_cols["relationship_strength"]):
            break
        time.sleep(0.3)
    got = {kind: values.get(cid) for kind, cid in signal_cols.items()}
    assert got["last_inbound"][:10] == (NOW - timedelta(days=3)).date().isoformat()
    assert got["last_outbound"][:10] == (NOW - timedelta(days=10)).date().isoformat()
    assert got["touches_90d"] == 2                      # the 200-day-old one is outside, internal mail never counts
    assert got["knows_best"] == "ann@fund.example"      # 0.98 + 0.93 for ann against 0.21 for ben
    assert got["relationship_strength"] == "Strong"     # 3 (3 days) + 1 (2 emails) + 2 (both ways)
    panel = admin.get(f"/api/email/signals/{acme}").data  # the panel's view, with or without columns
    assert {kind: panel[kind] for kind in signal_cols} == got and panel["strength_color"] == "teal"
    assert admin.get(f"/api/email/signals/{quiet}").data["relationship_strength"] is None
    quiet_values = admin.get(f"/api/fundraising/rows/{quiet}").data["values"]
    assert all(quiet_values.get(cid) is None for cid in signal_cols.values())
    # Sortable and filterable like any column: a view of strong relationships finds Acme only.
    view = admin.post("/api/fundraising/views", {"name": "Warm", "filter": {"op": "and", "conditions": [
        {"column_id": signal_cols["relationship_strength"], "operator": "is_any_of", "value": ["Very strong", "Strong"]},
        {"column_id": signal_cols["last_inbound"], "operator": "is_after", "value": {"days_ago": 30}}]}})
    assert view.status == 201, view
    rows = admin.get(f"/api/fundraising/views/{view.data['id']}/rows").data["rows"]
    assert [r["id"] for r in rows] == [acme]
    # Computed: nobody can type into them.
    refused = admin.patch(f"/api/fundraising/rows/{acme}", {"values": {signal_cols["touches_90d"]: 5}})
    assert refused.status == 400 and "computed" in refused.json["error"]
    # The dashboard's distribution reads the same cells: Acme strong, Quiet without a signal.
    strength = admin.get("/api/dashboard").data["strength_distribution"]
    assert {e["level"]: e["count"] for e in strength["levels"]} == {
        "Very strong": 0, "Strong": 1, "Medium": 0, "Weak": 0, "Very weak": 0}
    assert strength["no_signal"] == 1 and strength["column_id"] == signal_cols["relationship_strength"]
