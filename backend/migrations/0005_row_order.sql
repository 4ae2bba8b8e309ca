-- The grid's own row order. Until now rows sat in creation order; "Insert above / below" puts a
-- new investor between two others, so each row carries a position (a REAL: a new row between two
-- takes the midpoint, and no other row is rewritten). Existing rows keep the order they had.

ALTER TABLE investors ADD COLUMN position REAL NOT NULL DEFAULT 0;
UPDATE investors SET position = rowid;
CREATE INDEX investors_position ON investors(position);
