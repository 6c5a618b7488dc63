-- 0014_mentioned_regions_not_null: core.documents.mentioned_regions (0013) is never null, like regions. Its own
-- migration because DuckDB (1.5.5) fails SET NOT NULL on a list column added earlier in the same transaction
-- ("NOT NULL constraint failed" although every row holds []); once 0013 has committed it succeeds.
ALTER TABLE core.documents ALTER COLUMN mentioned_regions SET NOT NULL;
