-- 0015_search_gram_masks: search latency (issue 20). Each gram row carries a positional signature, its mask
-- (bit p mod 8 for every position p the gram starts at in its field; parsers/grams.py), so a query drops in
-- SQL the documents that hold every bigram of a word but never side by side (人才引进 at 200 000 documents
-- read thousands of texts to find none).
--
-- The index is rebuilt: the gram rows and the index's document rows go, and the next run (or
-- `index_documents`) indexes every document anew at INDEX_VERSION 3, as new documents (no per-chunk DELETE
-- over the grams table). Search finds nothing in between, as after migration 12.
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

CREATE OR REPLACE VIEW main.document_grams AS
SELECT s.doc_id, g.field, chr((g.gram >> 21)::INTEGER) || CASE WHEN g.gram & 2097151 = 0 THEN ' '
       ELSE chr((g.gram & 2097151)::INTEGER) END AS gram, g.tf
FROM core.document_grams g JOIN core.search_documents s USING (doc_key);

COMMENT ON TABLE core.document_grams IS 'Character bigrams of each document''s folded title and body (page and attachment text), with counts and positional masks: the search index.';
COMMENT ON COLUMN core.document_grams.gram IS 'Two characters as code points, first << 21 | second (second 0: a space or the end of the field); parsers/grams.py.';
COMMENT ON COLUMN core.document_grams.doc_key IS 'The document, as core.search_documents.doc_key.';
COMMENT ON COLUMN core.document_grams.field IS 'title | body.';
COMMENT ON COLUMN core.document_grams.tf IS 'Occurrences of the gram in the field.';
COMMENT ON COLUMN core.document_grams.mask IS 'Bit p mod 8 set for every position p (0-based, in characters) the gram starts at in the field.';
COMMENT ON COLUMN core.search_documents.index_version IS 'Index scheme the row was built by (2: grams, 3: grams with masks); older rows are re-indexed.';
COMMENT ON VIEW main.document_grams IS 'Search bigrams per document and field, readable: the gram as its two characters (a trailing space: end of a word).';
