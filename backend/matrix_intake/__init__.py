"""The Matrix intake bot: its own process (`python -m backend.matrix_intake`) that turns a partner's
chat note into a proposed change, shows it in the message's thread with the near-duplicates the
CRM found, and writes to the CRM only when a person replies `yes`.

It is an HTTP client of the CRM (a service token scoped `intake:match` + `intake:write`) and
imports nothing from the server side; the server never imports it. Modules: `config` (the
environment), `parser` (the deterministic reading of a note), `llm` (the optional language model,
schema-checked), `proposal` (fields, edits, the card), `conversation` (the reply grammar and what
each reply does), `state` (pending proposals in the bot's SQLite file), `crm` (the CRM's HTTP API),
`bot` (the Matrix connection).
"""
