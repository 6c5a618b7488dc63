-- The four tables that grow with every document lose their PRIMARY KEY constraints (the keys stay: the
-- loader keeps them unique, and tests assert it). A constraint is an ART index DuckDB must hold in memory
-- for a whole run's transaction, and load whole before checking an insert: ~0.5 KB per document loaded
-- that cannot spill, so a backfill's memory grew with its size (and failed under a memory cap).
-- DuckDB cannot drop a constraint, so each table is rebuilt; its comments are restated after.

CREATE TABLE core.documents_rebuilt(
    doc_id VARCHAR NOT NULL,
    title VARCHAR,
    url VARCHAR,
    published_on DATE,
    signed_on DATE,
    first_seen_at TIMESTAMP NOT NULL,
    "week" VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    issuers VARCHAR[] NOT NULL,
    doc_number VARCHAR,
    index_number VARCHAR,
    regions VARCHAR[] NOT NULL,
    "level" VARCHAR,
    doc_type VARCHAR,
    source_name VARCHAR,
    original_source VARCHAR,
    original_url VARCHAR,
    relevant BOOLEAN NOT NULL,
    "text" VARCHAR NOT NULL,
    summary VARCHAR,
    keywords VARCHAR[] NOT NULL,
    content_hash VARCHAR NOT NULL,
    minhash UBIGINT[] NOT NULL,
    cited_titles VARCHAR[] NOT NULL,
    "version" INTEGER NOT NULL,
    taxonomy_version VARCHAR,
    indexed_hash VARCHAR,
    canonical_key VARCHAR
);
INSERT INTO core.documents_rebuilt SELECT * FROM core.documents;
DROP TABLE core.documents;
ALTER TABLE core.documents_rebuilt RENAME TO documents;
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

CREATE TABLE core.document_labels_rebuilt(
    doc_id VARCHAR NOT NULL,
    facet VARCHAR NOT NULL,
    topic_id VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    evidence VARCHAR[] NOT NULL,
    taxonomy_version VARCHAR
);
INSERT INTO core.document_labels_rebuilt SELECT * FROM core.document_labels;
DROP TABLE core.document_labels;
ALTER TABLE core.document_labels_rebuilt RENAME TO document_labels;
COMMENT ON TABLE core.document_labels IS 'Taxonomy labels of documents, both facets; read through document_topics and document_instruments.';
COMMENT ON COLUMN core.document_labels.doc_id IS 'The labelled document.';
COMMENT ON COLUMN core.document_labels.facet IS 'industry (a bio-industry topic) | instrument (a policy instrument).';
COMMENT ON COLUMN core.document_labels.topic_id IS 'Stable id of the label in the taxonomy, e.g. biomedicine, funding.';
COMMENT ON COLUMN core.document_labels.topic IS 'Chinese name of the label, e.g. 生物医药, 资金支持/补贴.';
COMMENT ON COLUMN core.document_labels.score IS 'BM25-like score of the evidence; higher is stronger.';
COMMENT ON COLUMN core.document_labels.evidence IS 'Taxonomy terms found in the document that earned the label.';
COMMENT ON COLUMN core.document_labels.taxonomy_version IS 'Version of the taxonomy that gave the label.';

CREATE TABLE core.document_sightings_rebuilt(
    doc_id VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    source_name VARCHAR,
    seen_at TIMESTAMP NOT NULL,
    "match" VARCHAR NOT NULL,
    similarity DOUBLE
);
INSERT INTO core.document_sightings_rebuilt SELECT * FROM core.document_sightings;
DROP TABLE core.document_sightings;
ALTER TABLE core.document_sightings_rebuilt RENAME TO document_sightings;
COMMENT ON TABLE core.document_sightings IS 'Every page a document was seen on: its first copy, exact copies and near copies.';
COMMENT ON COLUMN core.document_sightings.doc_id IS 'The document seen.';
COMMENT ON COLUMN core.document_sightings.url IS 'Canonical URL of the page it was seen on.';
COMMENT ON COLUMN core.document_sightings.source_name IS 'Registry source of that page.';
COMMENT ON COLUMN core.document_sightings.seen_at IS 'UTC time the page was read.';
COMMENT ON COLUMN core.document_sightings.match IS 'How it was recognised: first | exact | near | version.';
COMMENT ON COLUMN core.document_sightings.similarity IS 'Estimated Jaccard similarity to the document, for near copies.';

CREATE TABLE core.document_versions_rebuilt(
    doc_id VARCHAR NOT NULL,
    "version" INTEGER NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    content_hash VARCHAR NOT NULL,
    url VARCHAR,
    change_ratio DOUBLE,
    title VARCHAR,
    "text" VARCHAR NOT NULL
);
INSERT INTO core.document_versions_rebuilt SELECT * FROM core.document_versions;
DROP TABLE core.document_versions;
ALTER TABLE core.document_versions_rebuilt RENAME TO document_versions;
COMMENT ON TABLE core.document_versions IS 'Every stored version of a document (a changed page at a known URL).';
COMMENT ON COLUMN core.document_versions.doc_id IS 'The document.';
COMMENT ON COLUMN core.document_versions.version IS 'Version number, 1 for the first.';
COMMENT ON COLUMN core.document_versions.fetched_at IS 'UTC time this version was read.';
COMMENT ON COLUMN core.document_versions.content_hash IS 'Hash of this version''s normalised text.';
COMMENT ON COLUMN core.document_versions.url IS 'Page URL this version was read from.';
COMMENT ON COLUMN core.document_versions.change_ratio IS '1 - estimated Jaccard similarity to the previous version.';
COMMENT ON COLUMN core.document_versions.title IS 'Title of this version.';
COMMENT ON COLUMN core.document_versions.text IS 'Clean text of this version.';
