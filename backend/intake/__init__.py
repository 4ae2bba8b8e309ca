"""Intake from chat: the CRM side of the Matrix bot — ranked candidates for a name and an email
(so a near-duplicate is always shown), and creating investors and logging notes idempotently."""
