-- 0001_initial: the baseline. Tables live in schema `core`; analysts read the views in `main`
-- (created by the views migration), so tables can change without breaking saved SQL.
CREATE SCHEMA IF NOT EXISTS core;

-- One row per distinct document (reposts and copies collapsed into sightings).
CREATE TABLE core.documents (
    doc_id            VARCHAR PRIMARY KEY,
    title             VARCHAR,
    url               VARCHAR,            -- canonical URL (the official copy when known)
    published_on      DATE,
    signed_on         DATE,               -- 成文日期
    first_seen_at     TIMESTAMP NOT NULL, -- UTC
    week              VARCHAR NOT NULL,   -- ISO week (Asia/Shanghai) of first_seen_at, e.g. 2026-W47
    updated_at        TIMESTAMP NOT NULL, -- UTC
    issuers           VARCHAR[] NOT NULL,
    doc_number        VARCHAR,            -- 发文字号
    index_number      VARCHAR,            -- 索引号
    regions           VARCHAR[] NOT NULL,
    level             VARCHAR,            -- central | provincial | municipal
    doc_type          VARCHAR,
    source_name       VARCHAR,
    original_source   VARCHAR,            -- 来源: named by a repost
    original_url      VARCHAR,            -- 原文链接 named by a repost
    relevant          BOOLEAN NOT NULL,
    text              VARCHAR NOT NULL,
    summary           VARCHAR,
    keywords          VARCHAR[] NOT NULL,
    content_hash      VARCHAR NOT NULL,
    minhash           UBIGINT[] NOT NULL,
    cited_titles      VARCHAR[] NOT NULL, -- keys of the 《titles》 the text names (see parsers/links.py)
    version           INTEGER NOT NULL,
    taxonomy_version  VARCHAR
);

-- Labels of both taxonomy facets: industry topics and policy instruments.
CREATE TABLE core.document_labels (
    doc_id            VARCHAR NOT NULL,
    facet             VARCHAR NOT NULL,   -- industry | instrument
    topic_id          VARCHAR NOT NULL,
    topic             VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    evidence          VARCHAR[] NOT NULL,
    taxonomy_version  VARCHAR,
    PRIMARY KEY (doc_id, facet, topic_id)
);

-- Every page a document was seen on; `match` says how it was recognised.
CREATE TABLE core.document_sightings (
    doc_id            VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    source_name       VARCHAR,
    seen_at           TIMESTAMP NOT NULL,
    match             VARCHAR NOT NULL,   -- first | exact | near | version
    similarity        DOUBLE,
    PRIMARY KEY (doc_id, url)
);

CREATE TABLE core.document_links (
    from_doc_id       VARCHAR NOT NULL,
    to_doc_id         VARCHAR NOT NULL,
    relation          VARCHAR NOT NULL,   -- cites
    evidence          VARCHAR,            -- the 《title》 or 发文字号 that made the link
    created_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (from_doc_id, to_doc_id, relation)
);

CREATE TABLE core.document_versions (
    doc_id            VARCHAR NOT NULL,
    version           INTEGER NOT NULL,
    fetched_at        TIMESTAMP NOT NULL,
    content_hash      VARCHAR NOT NULL,
    url               VARCHAR,
    change_ratio      DOUBLE,             -- 1 - estimated Jaccard to the previous version
    title             VARCHAR,
    text              VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, version)
);

-- Every page fetched or read, whatever became of it: nothing fetched is ever lost.
CREATE TABLE core.pages (
    url               VARCHAR NOT NULL,
    source_name       VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    fetched_at        TIMESTAMP NOT NULL,
    raw_sha256        VARCHAR,            -- key into the raw archive; null when nothing could be read
    raw_size          BIGINT,
    content_type      VARCHAR,
    outcome           VARCHAR NOT NULL,   -- new | exact | near | version | unchanged | failed
    extraction_status VARCHAR,
    error             VARCHAR,
    doc_id            VARCHAR
);

CREATE TABLE core.runs (
    run_id            VARCHAR PRIMARY KEY,
    flow              VARCHAR NOT NULL,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    status            VARCHAR NOT NULL,   -- running | success | failed | crashed
    sources           INTEGER,
    sources_failed    INTEGER,
    pages             INTEGER,
    new_documents     INTEGER,
    new_versions      INTEGER,
    duplicates        INTEGER,
    unchanged         INTEGER,
    failures          INTEGER,
    error             VARCHAR,
    summary           JSON
);

CREATE TABLE core.source_health (
    source_name           VARCHAR PRIMARY KEY,
    kind                  VARCHAR,
    last_attempt_at       TIMESTAMP,
    last_success_at       TIMESTAMP,
    consecutive_failures  INTEGER NOT NULL,
    last_error            VARCHAR,
    items_seen            BIGINT NOT NULL,
    last_items            INTEGER,
    drifted               BOOLEAN NOT NULL
);
