-- 0009_extraction_status: documents the extractor doubted (issue 17). A page reached as an article link of
-- a source is a document even when it reads as a list or a short page: it is loaded with extraction_status
-- 'low_confidence' and a one-line reason a person can act on, instead of failing and being lost. Every
-- page now shows either its document or a reason.
ALTER TABLE core.documents ADD COLUMN extraction_status VARCHAR DEFAULT 'ok';
ALTER TABLE core.documents ADD COLUMN extraction_reason VARCHAR;
ALTER TABLE core.pages ADD COLUMN extraction_reason VARCHAR;

COMMENT ON COLUMN core.documents.extraction_status IS 'How sure the extractor was of the current text: ok | low_confidence (a page reached as an article link that read as a list or a short page, kept with its best text).';
COMMENT ON COLUMN core.documents.extraction_reason IS 'Why the extractor doubted the text, in one line (null when ok): what to check on the page or in the source''s link selector.';
COMMENT ON COLUMN core.pages.extraction_status IS 'ok | low_confidence | empty | not_article | too_large | undecodable.';
COMMENT ON COLUMN core.pages.extraction_reason IS 'The extractor''s one-line reason when its status is not ok: the doubt of a low_confidence document, the cause of a rejected page.';

-- The contract views, with the new columns added at the end (saved SQL selecting the old ones still runs).
CREATE OR REPLACE VIEW main.documents AS
SELECT doc_id, title, url, published_on, first_seen_at, issuers, doc_number, regions, doc_type,
       source_name, relevant, text, summary,
       week, signed_on, index_number, level, keywords, original_source, original_url, version, updated_at,
       extraction_status, extraction_reason
FROM core.documents;

-- reason: for every page without a document, why; for a low_confidence document, its doubt.
CREATE OR REPLACE VIEW main.pages AS
SELECT url, source_name, run_id, fetched_at, raw_sha256, raw_size, outcome, extraction_status, error, doc_id,
       http_status, final_url, content_type, headers,
       coalesce(error, extraction_reason) AS reason
FROM core.pages;

COMMENT ON VIEW main.documents IS 'One row per distinct document (reposts collapsed); week = ISO week (Asia/Shanghai) of first_seen_at; extraction_status says whether the extractor doubted it.';
COMMENT ON VIEW main.pages IS 'Every page read, whatever became of it: its document (doc_id) or the reason it has none (reason); a low_confidence document''s doubt is its reason too.';
COMMENT ON COLUMN main.pages.reason IS 'Why the page has no document (the failure), or why its document is low_confidence; null for a page that plainly became a document.';
COMMENT ON COLUMN main.documents.extraction_status IS 'ok | low_confidence: see core.documents.extraction_status.';
COMMENT ON COLUMN main.documents.extraction_reason IS 'Why a low_confidence document was doubted, in one line.';
