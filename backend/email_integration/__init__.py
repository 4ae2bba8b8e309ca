"""Email capture: team mailboxes synced from Gmail (or imported as mbox / .eml), parsed,
deduplicated by Message-ID across mailboxes, threaded, matched to investors, and the relationship
signals derived from them. Off until credentials exist; imports work without any."""
