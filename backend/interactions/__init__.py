"""Touches of an investor (notes, calls, meetings, emails; append-only) and the admin activity
feed that merges audit entries, automation runs and backups."""
