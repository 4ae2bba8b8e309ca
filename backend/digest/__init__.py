"""The daily digest: each evening every active admin gets one email of what each team member did
with which investors and what each investor heard from us or told us — to the team only, never
to an investor. `builder` (what happened in a window), `narrative` (the local model's words or a
structured fallback), `render` (plain text and inline-styled HTML), `service` (policy, preview,
send now, test email, the daily send and its log: `app.digest`), `scheduler`, `routes`."""
