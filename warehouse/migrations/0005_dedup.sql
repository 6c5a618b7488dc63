-- 0005_dedup: incremental deduplication and linking (issue 6). A run looks up only the LSH buckets,
-- URLs, hashes and citation keys of its own pages instead of reading every document.

-- indexed_hash: the content_hash the rows below were built from; a document whose content_hash differs
-- (new, re-parsed, or loaded before this migration) is re-indexed by the next load.
ALTER TABLE core.documents ADD COLUMN indexed_hash VARCHAR;
-- canonical_key: sort key of the copy shown as the document (parsers.dedup.canonical_key); lowest wins.
ALTER TABLE core.documents ADD COLUMN canonical_key VARCHAR;

-- LSH buckets of each document's MinHash signature (parsers.dedup.band_keys).
CREATE TABLE core.document_bands (
    bucket   UBIGINT NOT NULL,   -- band number mixed in
    band     SMALLINT NOT NULL,
    doc_id   VARCHAR NOT NULL
);

-- Keys a document can be cited by: its title keys and its 发文字号 (parsers.links).
CREATE TABLE core.document_keys (
    key      VARCHAR NOT NULL,
    doc_id   VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL    -- title | number
);

-- Keys a document's text cites: 《titles》 and 发文字号.
CREATE TABLE core.document_citations (
    key      VARCHAR NOT NULL,
    doc_id   VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL    -- title | number
);
