-- 0012_search_grams: search that never misses (issue 20). jieba's words glued 合成生物 into 合成生物制造 and a
-- search for the shorter word missed the document; character bigrams of the folded text cannot (the way
-- Lucene's CJK analyzer and Elasticsearch index Chinese). warehouse/search_build.py writes the grams;
-- warehouse/search.py finds candidates by them, ranks with BM25 and checks the substring.

-- One row per document × field × gram. gram: the two characters' code points (first << 21 | second,
-- parsers/grams.py; second 0 = a space or the end of the field). Rows are inserted sorted by gram, so
-- zone maps let a lookup of a few grams skip most row groups.
CREATE TABLE core.document_grams (
    gram     BIGINT NOT NULL,
    doc_key  INTEGER NOT NULL,
    field    VARCHAR NOT NULL,
    tf       INTEGER NOT NULL
);

-- Field lengths in grams (BM25's length normalisation) and the scheme a document was indexed by: rows of
-- an older scheme (1: jieba terms) are re-indexed by the next run (warehouse.search_build.UNINDEXED).
ALTER TABLE core.search_documents ADD COLUMN title_grams INTEGER DEFAULT 0;
ALTER TABLE core.search_documents ADD COLUMN body_grams INTEGER DEFAULT 0;
ALTER TABLE core.search_documents ADD COLUMN index_version INTEGER DEFAULT 1;
ALTER TABLE core.search_documents ALTER COLUMN title_terms DROP NOT NULL;
ALTER TABLE core.search_documents ALTER COLUMN body_terms DROP NOT NULL;

-- The jieba terms are no longer read nor written (ranking runs on grams): their rows go, the table stays
-- (an applied migration is never edited) and is empty from here on.
DELETE FROM core.document_terms;

CREATE OR REPLACE VIEW main.document_grams AS
SELECT s.doc_id, g.field, chr((g.gram >> 21)::INTEGER) || CASE WHEN g.gram & 2097151 = 0 THEN ' '
       ELSE chr((g.gram & 2097151)::INTEGER) END AS gram, g.tf
FROM core.document_grams g JOIN core.search_documents s USING (doc_key);

COMMENT ON TABLE core.document_grams IS 'Character bigrams of each document''s folded title and body (page and attachment text), with counts: the search index.';
COMMENT ON COLUMN core.document_grams.gram IS 'Two characters as code points, first << 21 | second (second 0: a space or the end of the field); parsers/grams.py.';
COMMENT ON COLUMN core.document_grams.doc_key IS 'The document, as core.search_documents.doc_key.';
COMMENT ON COLUMN core.document_grams.field IS 'title | body.';
COMMENT ON COLUMN core.document_grams.tf IS 'Occurrences of the gram in the field.';
COMMENT ON COLUMN core.search_documents.title_grams IS 'Length of the title in grams (BM25 length normalisation).';
COMMENT ON COLUMN core.search_documents.body_grams IS 'Length of the body in grams.';
COMMENT ON COLUMN core.search_documents.index_version IS 'Index scheme the row was built by (2: grams); older rows are re-indexed.';
COMMENT ON COLUMN core.search_documents.title_terms IS 'Unused since migration 12 (jieba terms; null).';
COMMENT ON COLUMN core.search_documents.body_terms IS 'Unused since migration 12 (jieba terms; null).';
COMMENT ON TABLE core.document_terms IS 'jieba terms of the first search index; empty and unused since migration 12 (see core.document_grams).';
COMMENT ON VIEW main.document_grams IS 'Search bigrams per document and field, readable: the gram as its two characters (a trailing space: end of a word).';
