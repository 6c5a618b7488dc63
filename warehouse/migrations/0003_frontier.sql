-- 0003_frontier: every URL ever discovered, and what the fetcher knows of it; HTTP facts of each page.
CREATE TABLE core.frontier (
    url              VARCHAR PRIMARY KEY,
    source_name      VARCHAR NOT NULL,
    first_seen_at    TIMESTAMP NOT NULL,   -- UTC
    last_seen_at     TIMESTAMP NOT NULL,   -- last time a list, feed or sitemap named it
    last_fetched_at  TIMESTAMP,
    status           VARCHAR NOT NULL,     -- discovered | fetched | not_modified | failed | robots
    http_status      INTEGER,
    etag             VARCHAR,
    last_modified    VARCHAR,
    raw_sha256       VARCHAR,
    list_updated     VARCHAR,              -- the list's change marker (sitemap lastmod, feed date)
    title_hint       VARCHAR,
    error            VARCHAR,
    fetches          INTEGER NOT NULL
);

ALTER TABLE core.pages ADD COLUMN http_status INTEGER;
ALTER TABLE core.pages ADD COLUMN final_url VARCHAR;
ALTER TABLE core.pages ADD COLUMN headers JSON;

ALTER TABLE core.source_health ADD COLUMN drift_reason VARCHAR;

CREATE OR REPLACE VIEW main.frontier AS
SELECT url, source_name, first_seen_at, last_seen_at, last_fetched_at, status, http_status, error, fetches
FROM core.frontier;

CREATE OR REPLACE VIEW main.pages AS
SELECT url, source_name, run_id, fetched_at, raw_sha256, raw_size, outcome, extraction_status, error, doc_id,
       http_status, final_url, content_type, headers
FROM core.pages;

CREATE OR REPLACE VIEW main.source_health AS
SELECT source_name, last_success_at, consecutive_failures, last_error, kind, last_attempt_at,
       items_seen, last_items, drifted, drift_reason
FROM core.source_health;
