-- 0016_search_compaction: search latency at 200 000 documents (issue 20). Each chunk the indexer writes is a
-- run sorted by gram, so a common gram's rows were spread over every run (~425 row groups read per lookup).
-- warehouse/search_compact.py now rewrites the gram rows sorted by (gram, doc_key) once the rows indexed
-- since (the tail) pass a share of the index, and keeps each gram's document frequency in core.gram_df, so
-- a query looks its grams' frequencies up, reads the rarest gram first and the others only for its documents.
--
-- The index is rebuilt (as by migration 15): core.gram_df must count every gram row, and the next run (or
-- `index_documents`) indexes every document anew at INDEX_VERSION 4. Search finds nothing in between.
DROP VIEW main.document_grams;
DROP TABLE core.document_grams;
DELETE FROM core.search_documents;

CREATE TABLE core.document_grams (
    gram     BIGINT NOT NULL,
    doc_key  INTEGER NOT NULL,
    field    VARCHAR NOT NULL,
    tf       INTEGER NOT NULL,
    mask     UTINYINT NOT NULL
);

-- Summed by gram: +n when n documents holding the gram are indexed, -n when they leave the index (a
-- re-index); a compaction replaces the rows by one per gram, counted from the gram rows themselves.
CREATE TABLE core.gram_df (
    gram     BIGINT NOT NULL,
    df       INTEGER NOT NULL
);

-- One row once the index was compacted: documents with a key above base_key were indexed after it.
CREATE TABLE core.search_compaction (
    base_key      INTEGER NOT NULL,
    base_rows     BIGINT NOT NULL,
    compacted_at  TIMESTAMP NOT NULL
);

CREATE OR REPLACE VIEW main.document_grams AS
SELECT s.doc_id, g.field, chr((g.gram >> 21)::INTEGER) || CASE WHEN g.gram & 2097151 = 0 THEN ' '
       ELSE chr((g.gram & 2097151)::INTEGER) END AS gram, g.tf
FROM core.document_grams g JOIN core.search_documents s USING (doc_key);

COMMENT ON TABLE core.document_grams IS 'Character bigrams of each document''s folded title and body (page and attachment text), with counts and positional masks: the search index. Sorted by (gram, doc_key) up to the last compaction, then a tail of rows sorted by gram per indexed chunk.';
COMMENT ON COLUMN core.document_grams.gram IS 'Two characters as code points, first << 21 | second (second 0: a space or the end of the field); parsers/grams.py.';
COMMENT ON COLUMN core.document_grams.doc_key IS 'The document, as core.search_documents.doc_key.';
COMMENT ON COLUMN core.document_grams.field IS 'title | body.';
COMMENT ON COLUMN core.document_grams.tf IS 'Occurrences of the gram in the field.';
COMMENT ON COLUMN core.document_grams.mask IS 'Bit p mod 8 set for every position p (0-based, in characters) the gram starts at in the field.';
COMMENT ON TABLE core.gram_df IS 'Search index: documents holding each gram (title or body), as sum(df) by gram.';
COMMENT ON COLUMN core.gram_df.gram IS 'As core.document_grams.gram.';
COMMENT ON COLUMN core.gram_df.df IS 'Change in the number of documents holding the gram (summed by gram: the document frequency).';
COMMENT ON TABLE core.search_compaction IS 'The last compaction of the search index (warehouse/search_compact.py); empty before the first.';
COMMENT ON COLUMN core.search_compaction.base_key IS 'Largest doc_key in the index when it was compacted.';
COMMENT ON COLUMN core.search_compaction.base_rows IS 'Gram rows written sorted by the compaction.';
COMMENT ON COLUMN core.search_compaction.compacted_at IS 'When (UTC).';
COMMENT ON COLUMN core.search_documents.index_version IS 'Index scheme the row was built by (2: grams, 3: with masks, 4: with document frequencies); older rows are re-indexed.';
COMMENT ON VIEW main.document_grams IS 'Search bigrams per document and field, readable: the gram as its two characters (a trailing space: end of a word).';
