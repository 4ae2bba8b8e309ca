"""Whole-database backups: take, verify, preview and restore, the nightly schedule, download and
upload, reset with a backup first, and the restore-test command (`python -m backend.backups`)."""
