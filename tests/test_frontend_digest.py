"""Settings -> Digest in real headless Chromium against the real server mailing through a real
SMTP server (tests/frontend/browser_digest.js): the preview renders the email the API previews,
the schedule is turned on and saved, a test email and Send now reach the SMTP server and the
Sent log lists them; at desktop, tablet and phone sizes, nothing scrolling sideways on the phone."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from zoneinfo import ZoneInfo

from helpers import PASSWORD, make_user, run_browser_script
from smtp_server import SmtpServer


def _an_hour_still_to_come() -> tuple[int, str]:
    """An hour (and time zone) later today than now, so the scheduler's check after start never
    finds the day's digest due while the script counts the mail it sends by hand (a fixed 07:00
    Berlin was due on every run after 07:00 there)."""
    for zone in ("Europe/Berlin", "America/New_York", "Asia/Tokyo"):  # one of them is before 21:00
        local = dt.datetime.now(ZoneInfo(zone))
        if local.hour <= 20:
            return local.hour + 2, zone
    raise AssertionError("no time zone of the three is before 21:00")


def test_digest_settings_in_chromium(start_server, tmp_path, monkeypatch):
    with SmtpServer(mode="plain") as smtp:
        srv = start_server(**smtp.env(), CRM_DIGEST_CHECK_SECONDS=3600)  # the schedule itself is tested in test_digest.py
        admin = srv.bootstrap()
        make_user(admin, role="admin")
        row = admin.post("/api/fundraising/rows", {"values": {"Name": "Halcyon Family Office"}}).data
        assert admin.post(f"/api/fundraising/rows/{row['id']}/interactions",
                          {"kind": "meeting", "summary": "Met Maya: re-up likely for Fund III"}).status == 201
        subject = admin.post("/api/admin/digest/preview", {}).data["subject"]
        log = tmp_path / "smtp.json"
        log.write_text("[]")
        done = threading.Event()

        def mirror():  # the browser script counts delivered messages through this file
            while not done.is_set():
                log.write_text(json.dumps([m.envelope_to for m in smtp.messages]))
                time.sleep(0.05)
        threading.Thread(target=mirror, daemon=True).start()
        config = tmp_path / "digest-browser.json"
        hour, zone = _an_hour_still_to_come()
        config.write_text(json.dumps({"username": "admin", "password": PASSWORD, "subject": subject,
                                      "investor": "Halcyon Family Office", "smtpLog": str(log),
                                      "hour": hour, "zone": zone}))
        monkeypatch.setenv("DIGEST_BROWSER_CONFIG", str(config))
        try:
            run_browser_script(srv, "browser_digest")
        finally:
            done.set()
        assert len(smtp.messages) == 2
