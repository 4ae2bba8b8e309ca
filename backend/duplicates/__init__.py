"""Duplicates: near-duplicate investors found with the intake's matcher, dismissals, and the
merge / unmerge routes (the merge itself is the grid's: grid/merge.py)."""
