-- 0006_analyst_warehouse: the warehouse analysts live in (issue 7). Full-text search tables (jieba
-- terms per document, scored with BM25 in SQL by warehouse/search.py), analyst helper views, and a
-- COMMENT on every table, column and view so `duckdb_columns()` / `DESCRIBE` document themselves.

-- One row per indexed document: what its terms were built from, and the field lengths BM25 needs.
-- doc_key: a small integer standing for doc_id in the (large) terms table, where it compresses to a
-- few bits a row instead of a 16-character string.
CREATE SEQUENCE core.search_doc_key;
CREATE TABLE core.search_documents (
    doc_key       INTEGER NOT NULL,
    doc_id        VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    title_terms   INTEGER NOT NULL,
    body_terms    INTEGER NOT NULL,
    indexed_at    TIMESTAMP NOT NULL
);

-- One row per document × field × term. The field length is repeated on each row so that scoring
-- needs no join back to search_documents; rows are inserted sorted by term so that DuckDB's zone
-- maps skip most row groups when a query looks up a few terms.
CREATE TABLE core.document_terms (
    term          VARCHAR NOT NULL,
    doc_key       INTEGER NOT NULL,
    field         VARCHAR NOT NULL,
    tf            INTEGER NOT NULL,
    field_terms   INTEGER NOT NULL
);

-- Analyst helpers (additions; the contract views are unchanged).
CREATE OR REPLACE VIEW main.document_terms AS
SELECT s.doc_id, t.field, t.term, t.tf FROM core.document_terms t JOIN core.search_documents s USING (doc_key);

CREATE OR REPLACE VIEW main.document_regions AS
SELECT doc_id, unnest(regions) AS region, level FROM core.documents;

CREATE OR REPLACE VIEW main.document_issuers AS
SELECT doc_id, unnest(issuers) AS issuer, level FROM core.documents;

-- Reposts and copies only: every sighting that is not the first copy of its document.
CREATE OR REPLACE VIEW main.document_reposts AS
SELECT s.doc_id, d.title, d.url AS canonical_url, s.url AS repost_url, s.source_name, s.seen_at, s.match,
       s.similarity
FROM core.document_sightings s JOIN core.documents d USING (doc_id)
WHERE s.match <> 'first';

-- ---------------------------------------------------------------- tables
COMMENT ON TABLE core.documents IS 'One row per distinct document; reposts and copies are sightings of it. Read it through the view main.documents.';
COMMENT ON COLUMN core.documents.doc_id IS 'Stable id of the document, fixed by the copy it was first loaded from.';
COMMENT ON COLUMN core.documents.title IS 'Title as published (simplified Chinese).';
COMMENT ON COLUMN core.documents.url IS 'Canonical URL: the best copy known (government site before news before repost).';
COMMENT ON COLUMN core.documents.published_on IS 'Publication date (发布日期) stated by the page or the manifest.';
COMMENT ON COLUMN core.documents.signed_on IS 'Date of signature (成文日期), when stated.';
COMMENT ON COLUMN core.documents.first_seen_at IS 'UTC time PolicyWatch first saw the document; its week is derived from it.';
COMMENT ON COLUMN core.documents.week IS 'ISO week (Asia/Shanghai) of first_seen_at, e.g. 2026-W47.';
COMMENT ON COLUMN core.documents.updated_at IS 'UTC time of the last change (new version, better canonical copy).';
COMMENT ON COLUMN core.documents.issuers IS 'Issuing bodies (发文机关), in the order the document names them.';
COMMENT ON COLUMN core.documents.doc_number IS '发文字号, e.g. 发改高技〔2021〕1850号.';
COMMENT ON COLUMN core.documents.index_number IS '索引号 of government information-disclosure pages.';
COMMENT ON COLUMN core.documents.regions IS 'Regions the document is about or issued by (provinces, cities, clusters such as 长三角).';
COMMENT ON COLUMN core.documents.level IS 'Administrative level of the issuer: central | provincial | municipal.';
COMMENT ON COLUMN core.documents.doc_type IS 'Document type from the title: 通知, 意见, 规划, 办法, 新闻 ...';
COMMENT ON COLUMN core.documents.source_name IS 'Registry source of the canonical copy.';
COMMENT ON COLUMN core.documents.original_source IS '来源 named by a repost (the site it copied from).';
COMMENT ON COLUMN core.documents.original_url IS '原文链接 named by a repost.';
COMMENT ON COLUMN core.documents.relevant IS 'True when the classifier judged the document to be about biotech at all.';
COMMENT ON COLUMN core.documents.text IS 'Clean main text, simplified Chinese, one paragraph per line.';
COMMENT ON COLUMN core.documents.summary IS 'Two-line extractive summary.';
COMMENT ON COLUMN core.documents.keywords IS 'Keywords of the title and opening (taxonomy terms first).';
COMMENT ON COLUMN core.documents.content_hash IS 'Hash of the normalised text: equal for a traditional and a simplified copy.';
COMMENT ON COLUMN core.documents.minhash IS 'MinHash signature of the text, for near-duplicate detection.';
COMMENT ON COLUMN core.documents.cited_titles IS 'Keys of the 《titles》 the text names (parsers/links.py).';
COMMENT ON COLUMN core.documents.version IS 'Number of the current version (1 for the first; see document_versions).';
COMMENT ON COLUMN core.documents.taxonomy_version IS 'Version of the taxonomy that labelled the current text.';
COMMENT ON COLUMN core.documents.indexed_hash IS 'content_hash the dedup index rows (bands, keys, citations) were built from.';
COMMENT ON COLUMN core.documents.canonical_key IS 'Sort key of the canonical copy (parsers.dedup.canonical_key); the lowest copy wins.';

COMMENT ON TABLE core.document_labels IS 'Taxonomy labels of documents, both facets; read through document_topics and document_instruments.';
COMMENT ON COLUMN core.document_labels.doc_id IS 'The labelled document.';
COMMENT ON COLUMN core.document_labels.facet IS 'industry (a bio-industry topic) | instrument (a policy instrument).';
COMMENT ON COLUMN core.document_labels.topic_id IS 'Stable id of the label in the taxonomy, e.g. biomedicine, funding.';
COMMENT ON COLUMN core.document_labels.topic IS 'Chinese name of the label, e.g. 生物医药, 资金支持/补贴.';
COMMENT ON COLUMN core.document_labels.score IS 'BM25-like score of the evidence; higher is stronger.';
COMMENT ON COLUMN core.document_labels.evidence IS 'Taxonomy terms found in the document that earned the label.';
COMMENT ON COLUMN core.document_labels.taxonomy_version IS 'Version of the taxonomy that gave the label.';

COMMENT ON TABLE core.document_sightings IS 'Every page a document was seen on: its first copy, exact copies and near copies.';
COMMENT ON COLUMN core.document_sightings.doc_id IS 'The document seen.';
COMMENT ON COLUMN core.document_sightings.url IS 'Canonical URL of the page it was seen on.';
COMMENT ON COLUMN core.document_sightings.source_name IS 'Registry source of that page.';
COMMENT ON COLUMN core.document_sightings.seen_at IS 'UTC time the page was read.';
COMMENT ON COLUMN core.document_sightings.match IS 'How it was recognised: first | exact | near | version.';
COMMENT ON COLUMN core.document_sightings.similarity IS 'Estimated Jaccard similarity to the document, for near copies.';

COMMENT ON TABLE core.document_links IS 'Relations between documents: from_doc_id cites to_doc_id by 《title》 or 发文字号.';
COMMENT ON COLUMN core.document_links.from_doc_id IS 'The citing document.';
COMMENT ON COLUMN core.document_links.to_doc_id IS 'The cited document.';
COMMENT ON COLUMN core.document_links.relation IS 'Kind of relation; today always cites.';
COMMENT ON COLUMN core.document_links.evidence IS 'The title key or 发文字号 that made the link.';
COMMENT ON COLUMN core.document_links.created_at IS 'UTC time the link was made.';

COMMENT ON TABLE core.document_versions IS 'Every stored version of a document (a changed page at a known URL).';
COMMENT ON COLUMN core.document_versions.doc_id IS 'The document.';
COMMENT ON COLUMN core.document_versions.version IS 'Version number, 1 for the first.';
COMMENT ON COLUMN core.document_versions.fetched_at IS 'UTC time this version was read.';
COMMENT ON COLUMN core.document_versions.content_hash IS 'Hash of this version''s normalised text.';
COMMENT ON COLUMN core.document_versions.url IS 'Page URL this version was read from.';
COMMENT ON COLUMN core.document_versions.change_ratio IS '1 - estimated Jaccard similarity to the previous version.';
COMMENT ON COLUMN core.document_versions.title IS 'Title of this version.';
COMMENT ON COLUMN core.document_versions.text IS 'Clean text of this version.';

COMMENT ON TABLE core.pages IS 'Every page fetched or read, whatever became of it: nothing fetched is ever lost.';
COMMENT ON COLUMN core.pages.url IS 'URL as fetched (or file:// URL of a local file).';
COMMENT ON COLUMN core.pages.source_name IS 'Registry source that named the page.';
COMMENT ON COLUMN core.pages.run_id IS 'The run that read it (see runs).';
COMMENT ON COLUMN core.pages.fetched_at IS 'UTC time it was read.';
COMMENT ON COLUMN core.pages.raw_sha256 IS 'Key of the raw body in the archive (data/raw); null when nothing could be read.';
COMMENT ON COLUMN core.pages.raw_size IS 'Size of the raw body in bytes.';
COMMENT ON COLUMN core.pages.content_type IS 'HTTP Content-Type, when fetched over HTTP.';
COMMENT ON COLUMN core.pages.outcome IS 'new | exact | near | version | unchanged | failed.';
COMMENT ON COLUMN core.pages.extraction_status IS 'ok | empty | not_article | too_large | undecodable.';
COMMENT ON COLUMN core.pages.error IS 'Why the page failed, in one line.';
COMMENT ON COLUMN core.pages.doc_id IS 'The document the page became or matched.';
COMMENT ON COLUMN core.pages.http_status IS 'HTTP status code of the fetch.';
COMMENT ON COLUMN core.pages.final_url IS 'URL after redirects.';
COMMENT ON COLUMN core.pages.headers IS 'Selected response headers (JSON).';

COMMENT ON TABLE core.runs IS 'One row per flow run (nightly ingest, weekly digest, reparse), with counts.';
COMMENT ON COLUMN core.runs.run_id IS 'Prefect flow-run id (or a local id).';
COMMENT ON COLUMN core.runs.flow IS 'Flow name, e.g. nightly-ingest.';
COMMENT ON COLUMN core.runs.started_at IS 'UTC start time.';
COMMENT ON COLUMN core.runs.finished_at IS 'UTC end time; null while running.';
COMMENT ON COLUMN core.runs.status IS 'running | success | failed | crashed.';
COMMENT ON COLUMN core.runs.sources IS 'Sources attempted.';
COMMENT ON COLUMN core.runs.sources_failed IS 'Sources that failed.';
COMMENT ON COLUMN core.runs.pages IS 'Pages read.';
COMMENT ON COLUMN core.runs.new_documents IS 'New documents loaded.';
COMMENT ON COLUMN core.runs.new_versions IS 'New versions of known documents.';
COMMENT ON COLUMN core.runs.duplicates IS 'Pages that were exact or near copies of known documents.';
COMMENT ON COLUMN core.runs.unchanged IS 'Pages already loaded and unchanged.';
COMMENT ON COLUMN core.runs.failures IS 'Pages that failed.';
COMMENT ON COLUMN core.runs.error IS 'Why the run failed, in one line.';
COMMENT ON COLUMN core.runs.summary IS 'Per-source counts and errors (JSON).';

COMMENT ON TABLE core.source_health IS 'One row per source: when it last worked and how it fails.';
COMMENT ON COLUMN core.source_health.source_name IS 'Registry name of the source.';
COMMENT ON COLUMN core.source_health.kind IS 'html-list | rss | sitemap | json-api | files.';
COMMENT ON COLUMN core.source_health.last_attempt_at IS 'UTC time of the last attempt.';
COMMENT ON COLUMN core.source_health.last_success_at IS 'UTC time of the last successful attempt.';
COMMENT ON COLUMN core.source_health.consecutive_failures IS 'Failed attempts since the last success.';
COMMENT ON COLUMN core.source_health.last_error IS 'Error of the last failed attempt.';
COMMENT ON COLUMN core.source_health.items_seen IS 'Items listed by the source, summed over all attempts.';
COMMENT ON COLUMN core.source_health.last_items IS 'Items listed by the last attempt.';
COMMENT ON COLUMN core.source_health.drifted IS 'True when the source looks changed (its selectors find nothing, its items collapsed).';
COMMENT ON COLUMN core.source_health.drift_reason IS 'Why the source is judged drifted.';

COMMENT ON TABLE core.frontier IS 'Every URL ever discovered and what the fetcher knows of it.';
COMMENT ON COLUMN core.frontier.url IS 'Canonical URL.';
COMMENT ON COLUMN core.frontier.source_name IS 'Source that discovered it.';
COMMENT ON COLUMN core.frontier.first_seen_at IS 'UTC time it was first discovered.';
COMMENT ON COLUMN core.frontier.last_seen_at IS 'UTC time a list, feed or sitemap last named it.';
COMMENT ON COLUMN core.frontier.last_fetched_at IS 'UTC time it was last fetched.';
COMMENT ON COLUMN core.frontier.status IS 'discovered | fetched | not_modified | failed | robots.';
COMMENT ON COLUMN core.frontier.http_status IS 'HTTP status of the last fetch.';
COMMENT ON COLUMN core.frontier.etag IS 'ETag of the last fetch (for conditional requests).';
COMMENT ON COLUMN core.frontier.last_modified IS 'Last-Modified of the last fetch.';
COMMENT ON COLUMN core.frontier.raw_sha256 IS 'Archive key of the last body read.';
COMMENT ON COLUMN core.frontier.list_updated IS 'Change marker the list gave (sitemap lastmod, feed date).';
COMMENT ON COLUMN core.frontier.title_hint IS 'Link text or feed title seen in the list.';
COMMENT ON COLUMN core.frontier.error IS 'Error of the last fetch.';
COMMENT ON COLUMN core.frontier.fetches IS 'Number of fetches so far.';

COMMENT ON TABLE core.document_bands IS 'LSH buckets of each document''s MinHash signature (dedup index).';
COMMENT ON COLUMN core.document_bands.bucket IS 'Hash of one band of the signature, band number mixed in.';
COMMENT ON COLUMN core.document_bands.band IS 'Band number.';
COMMENT ON COLUMN core.document_bands.doc_id IS 'The document.';
COMMENT ON TABLE core.document_keys IS 'Keys a document can be cited by: its title keys and its 发文字号.';
COMMENT ON COLUMN core.document_keys.key IS 'Normalised title key or 发文字号.';
COMMENT ON COLUMN core.document_keys.doc_id IS 'The document.';
COMMENT ON COLUMN core.document_keys.kind IS 'title | number.';
COMMENT ON TABLE core.document_citations IS 'Keys a document''s text cites: 《titles》 and 发文字号.';
COMMENT ON COLUMN core.document_citations.key IS 'Normalised cited title key or 发文字号.';
COMMENT ON COLUMN core.document_citations.doc_id IS 'The citing document.';
COMMENT ON COLUMN core.document_citations.kind IS 'title | number.';

COMMENT ON TABLE core.search_documents IS 'Documents in the full-text index (warehouse/search.py), with their field lengths in terms.';
COMMENT ON COLUMN core.search_documents.doc_key IS 'Integer key of the document in core.document_terms (new at each re-index).';
COMMENT ON COLUMN core.search_documents.doc_id IS 'The indexed document.';
COMMENT ON COLUMN core.search_documents.content_hash IS 'content_hash of the text the terms were built from; differs after a new version until re-indexed.';
COMMENT ON COLUMN core.search_documents.title_terms IS 'Number of terms in the title.';
COMMENT ON COLUMN core.search_documents.body_terms IS 'Number of terms in the body.';
COMMENT ON COLUMN core.search_documents.indexed_at IS 'UTC time it was indexed.';
COMMENT ON TABLE core.document_terms IS 'jieba search terms per document and field, with counts: the BM25 index.';
COMMENT ON COLUMN core.document_terms.term IS 'A jieba token (search mode, taxonomy terms kept whole), lower-cased.';
COMMENT ON COLUMN core.document_terms.doc_key IS 'The document, as core.search_documents.doc_key.';
COMMENT ON COLUMN core.document_terms.field IS 'title | body.';
COMMENT ON COLUMN core.document_terms.tf IS 'Occurrences of the term in the field.';
COMMENT ON COLUMN core.document_terms.field_terms IS 'Length of the field in terms (BM25 length normalisation).';

COMMENT ON TABLE main.schema_migrations IS 'Ledger of applied migrations; a warehouse newer than the code is refused.';
COMMENT ON COLUMN main.schema_migrations.version IS 'Migration number (warehouse/migrations/NNNN_name.sql).';
COMMENT ON COLUMN main.schema_migrations.name IS 'Migration name.';
COMMENT ON COLUMN main.schema_migrations.applied_at IS 'UTC time it was applied.';

-- ---------------------------------------------------------------- views
COMMENT ON VIEW main.documents IS 'One row per distinct document (reposts collapsed); week = ISO week (Asia/Shanghai) of first_seen_at.';
COMMENT ON VIEW main.document_topics IS 'Document × bio-industry topic, with score and evidence terms.';
COMMENT ON VIEW main.document_instruments IS 'Document × policy instrument (funding, fund, talent, approval ...), with score and evidence.';
COMMENT ON VIEW main.document_sightings IS 'Every page a document was seen on (first copy, exact and near copies).';
COMMENT ON VIEW main.document_links IS 'Relations between documents; cites: from_doc_id names to_doc_id in 《》 or by 发文字号.';
COMMENT ON VIEW main.document_versions IS 'Every stored version of a document.';
COMMENT ON VIEW main.runs IS 'One row per flow run, with counts.';
COMMENT ON VIEW main.source_health IS 'One row per source: last success, consecutive failures, last error, drift.';
COMMENT ON VIEW main.weekly_topic_counts IS 'ISO week × topic: relevant documents first seen that week with that topic.';
COMMENT ON VIEW main.pages IS 'Every page read, whatever became of it (new, duplicate, unchanged, failed and why).';
COMMENT ON VIEW main.frontier IS 'Every URL discovered, with its fetch status.';
COMMENT ON VIEW main.document_terms IS 'Full-text index: jieba terms per document and field (title | body) with counts.';
COMMENT ON VIEW main.document_regions IS 'Document × region (one row per element of documents.regions), with the issuer level.';
COMMENT ON VIEW main.document_issuers IS 'Document × issuer (one row per element of documents.issuers), with the issuer level.';
COMMENT ON VIEW main.document_reposts IS 'Every copy of a document other than its first: reposts, exact and near copies.';
COMMENT ON COLUMN main.weekly_topic_counts.week IS 'ISO week (Asia/Shanghai), e.g. 2026-W47.';
COMMENT ON COLUMN main.weekly_topic_counts.topic IS 'Topic name, e.g. 生物医药.';
COMMENT ON COLUMN main.weekly_topic_counts.documents IS 'Relevant documents first seen that week with the topic.';
COMMENT ON COLUMN main.document_instruments.instrument IS 'Chinese name of the instrument, e.g. 资金支持/补贴.';
COMMENT ON COLUMN main.document_instruments.instrument_id IS 'Stable id of the instrument, e.g. funding.';
COMMENT ON COLUMN main.document_regions.region IS 'One region the document names.';
COMMENT ON COLUMN main.document_issuers.issuer IS 'One issuing body.';
COMMENT ON COLUMN main.document_reposts.canonical_url IS 'URL of the document''s canonical copy.';
COMMENT ON COLUMN main.document_reposts.repost_url IS 'URL of this copy.';
