"""Who may get in and what they may do: people and sessions, invites, service tokens, and the
security limits and checklist."""
