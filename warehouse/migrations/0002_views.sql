-- 0002_views: the analysts' views of the public contract (shared/docs/interfaces.md).
CREATE OR REPLACE VIEW main.documents AS
SELECT doc_id, title, url, published_on, first_seen_at, issuers, doc_number, regions, doc_type,
       source_name, relevant, text, summary,
       week, signed_on, index_number, level, keywords, original_source, original_url, version, updated_at
FROM core.documents;

CREATE OR REPLACE VIEW main.document_topics AS
SELECT doc_id, topic, topic_id, score, evidence, taxonomy_version
FROM core.document_labels WHERE facet = 'industry';

CREATE OR REPLACE VIEW main.document_instruments AS
SELECT doc_id, topic AS instrument, topic_id AS instrument_id, score, evidence, taxonomy_version
FROM core.document_labels WHERE facet = 'instrument';

CREATE OR REPLACE VIEW main.document_sightings AS
SELECT doc_id, url, source_name, seen_at, match, similarity FROM core.document_sightings;

CREATE OR REPLACE VIEW main.document_links AS
SELECT from_doc_id, to_doc_id, relation, evidence, created_at FROM core.document_links;

CREATE OR REPLACE VIEW main.document_versions AS
SELECT doc_id, version, fetched_at, content_hash, url, change_ratio FROM core.document_versions;

CREATE OR REPLACE VIEW main.runs AS
SELECT run_id, flow, started_at, finished_at, status, sources, sources_failed, pages, new_documents,
       new_versions, duplicates, unchanged, failures, error
FROM core.runs;

CREATE OR REPLACE VIEW main.source_health AS
SELECT source_name, last_success_at, consecutive_failures, last_error, kind, last_attempt_at,
       items_seen, last_items, drifted
FROM core.source_health;

CREATE OR REPLACE VIEW main.weekly_topic_counts AS
SELECT d.week, l.topic, count(*) AS documents
FROM core.document_labels l JOIN core.documents d USING (doc_id)
WHERE l.facet = 'industry' AND d.relevant
GROUP BY d.week, l.topic;

CREATE OR REPLACE VIEW main.pages AS
SELECT url, source_name, run_id, fetched_at, raw_sha256, raw_size, outcome, extraction_status, error, doc_id
FROM core.pages;
