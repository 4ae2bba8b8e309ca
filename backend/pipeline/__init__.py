"""The pipeline: investor x fund opportunities by stage, read as a kanban board per fund. An
opportunity is the cell of its fund's pipeline column in the grid (`grid/opportunities.py`), so
a move on the board is a grid edit: audited, in the change feed, seen live by the grid."""
