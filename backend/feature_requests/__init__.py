"""Feature requests: what the team asks of the CRM itself. Anyone signed in files one (a title
and details) and may edit it while it is new; admins set its status (new, planned, done,
declined) with an optional note; the author or an admin archives it (soft delete, restorable).
`service` (`app.feature_requests`: list with counts, create, update, archive, restore, each
mutation audited in its transaction), `routes`. See docs/feature-requests.md."""
