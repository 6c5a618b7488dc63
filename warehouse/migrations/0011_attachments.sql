-- 0011_attachments: the files a document's page links (issue 19). A notice often carries its substance in
-- an attachment ("现将《…行动计划》印发给你们", the plan as PDF/DOC/DOCX/WPS/OFD): the nightly run fetches
-- each one (same hosts, robots and politeness as pages; a size cap of its own), archives its bytes like a
-- page's, reads its text, and lets that text take part in the document's search entry, topics, relevance,
-- summary and dedup. A file that cannot be fetched or read is a row with a status and a reason.

-- One row per document × linked file (the same file linked by two notices is a row of each: every notice
-- shows its own attachments; the fetch is shared, and a file's text is read once per content).
-- Load semantics: replaced per document whenever the attachment stage processes it (delete by doc_id, insert).
CREATE TABLE core.attachments (
    doc_id             VARCHAR NOT NULL,
    url                VARCHAR NOT NULL,
    name               VARCHAR,
    position           INTEGER NOT NULL,
    format             VARCHAR,
    media_type         VARCHAR,
    bytes              BIGINT,
    sha256             VARCHAR,
    text               VARCHAR,
    text_hash          VARCHAR,
    minhash            UBIGINT[],
    pages              INTEGER,
    extraction_status  VARCHAR NOT NULL,
    reason             VARCHAR,
    http_status        INTEGER,
    content_type       VARCHAR,
    etag               VARCHAR,
    last_modified      VARCHAR,
    fetched_at         TIMESTAMP,
    checked_at         TIMESTAMP NOT NULL,
    run_id             VARCHAR NOT NULL,
    substance          BOOLEAN NOT NULL DEFAULT false
);

-- LSH buckets of each attachment text's MinHash, as core.document_bands holds a document's: a document that
-- arrives later holding the same text is linked to the notice, not mistaken for a copy of it.
CREATE TABLE core.attachment_bands (
    bucket   UBIGINT NOT NULL,
    band     SMALLINT NOT NULL,
    doc_id   VARCHAR NOT NULL,
    url      VARCHAR NOT NULL
);

-- The contract's columns first (shared/docs/interfaces.md), then the extras.
CREATE OR REPLACE VIEW main.document_attachments AS
SELECT doc_id, url, name, media_type, bytes, text, extraction_status,
       format, reason, pages, position, substance, http_status, sha256, fetched_at, checked_at
FROM core.attachments;

COMMENT ON TABLE core.attachments IS 'Files linked from a document''s page (PDF, DOC, DOCX, WPS, OFD, XLS …): fetched, archived, read; one row per document × file URL. Read it through the view main.document_attachments.';
COMMENT ON COLUMN core.attachments.doc_id IS 'The document whose page links the file.';
COMMENT ON COLUMN core.attachments.url IS 'Absolute URL of the file, as the page links it.';
COMMENT ON COLUMN core.attachments.name IS 'The link''s text on the page (附件1：…行动计划.pdf), else the file name.';
COMMENT ON COLUMN core.attachments.position IS 'Order of the link on the page, from 1.';
COMMENT ON COLUMN core.attachments.format IS 'What the bytes are, told by their magic bytes: pdf | doc | wps | docx | xls | xlsx | ofd | rtf | zip | rar | 7z | html | text | empty | unknown …; null when nothing was fetched.';
COMMENT ON COLUMN core.attachments.media_type IS 'MIME type of that format, e.g. application/pdf; null when nothing was fetched.';
COMMENT ON COLUMN core.attachments.bytes IS 'Size of the file in bytes; null when nothing was fetched.';
COMMENT ON COLUMN core.attachments.sha256 IS 'Key of the file''s bytes in the raw archive (data/raw), like core.pages.raw_sha256.';
COMMENT ON COLUMN core.attachments.text IS 'The file''s text (simplified Chinese, one paragraph per line); null when none was read.';
COMMENT ON COLUMN core.attachments.text_hash IS 'Hash of the normalised text (parsers.fingerprint.content_hash): equal to a document''s content_hash when the file is that document.';
COMMENT ON COLUMN core.attachments.minhash IS 'MinHash signature of the text, for recognising the same text loaded as a document of its own.';
COMMENT ON COLUMN core.attachments.pages IS 'Pages of a PDF or OFD file.';
COMMENT ON COLUMN core.attachments.extraction_status IS 'ok (text read) | empty | too_large | undecodable | encrypted | archive (a ZIP/RAR/7z, listed, not opened) | failed (the fetch failed: HTTP error, timeout) | robots (disallowed by robots.txt) | off_host (on a host its source does not name: never fetched) | skipped (beyond the 30 files followed on one page).';
COMMENT ON COLUMN core.attachments.reason IS 'Why the status is not ok, in one line; for a file kept from an earlier fetch, why this run''s request failed.';
COMMENT ON COLUMN core.attachments.http_status IS 'HTTP status of the last request (304: unchanged since the last fetch).';
COMMENT ON COLUMN core.attachments.content_type IS 'HTTP Content-Type the server gave.';
COMMENT ON COLUMN core.attachments.etag IS 'ETag of the last fetch (for conditional requests).';
COMMENT ON COLUMN core.attachments.last_modified IS 'Last-Modified of the last fetch (for conditional requests).';
COMMENT ON COLUMN core.attachments.fetched_at IS 'UTC time the bytes held were fetched; null when none were.';
COMMENT ON COLUMN core.attachments.checked_at IS 'UTC time the file was last asked for (or judged off-host).';
COMMENT ON COLUMN core.attachments.substance IS 'True for the file holding the document''s substance: its page is only a cover ("现将《…》印发给你们") and the document''s summary was taken from this file.';
COMMENT ON COLUMN core.attachments.run_id IS 'The run that last processed the document''s attachments (see runs).';
COMMENT ON TABLE core.attachment_bands IS 'LSH buckets of each attachment text''s MinHash signature (dedup index of attachments).';
COMMENT ON COLUMN core.attachment_bands.bucket IS 'Hash of one band of the signature, band number mixed in.';
COMMENT ON COLUMN core.attachment_bands.band IS 'Band number.';
COMMENT ON COLUMN core.attachment_bands.doc_id IS 'The document the file is attached to.';
COMMENT ON COLUMN core.attachment_bands.url IS 'The file''s URL.';

COMMENT ON VIEW main.document_attachments IS 'Files linked from a document''s page: name, type, size, text and whether it was read (extraction_status, reason).';
COMMENT ON COLUMN main.document_attachments.doc_id IS 'The document whose page links the file.';
COMMENT ON COLUMN main.document_attachments.url IS 'Absolute URL of the file.';
COMMENT ON COLUMN main.document_attachments.name IS 'The link''s text on the page, else the file name.';
COMMENT ON COLUMN main.document_attachments.media_type IS 'MIME type told by the file''s bytes, e.g. application/pdf.';
COMMENT ON COLUMN main.document_attachments.bytes IS 'Size of the file in bytes.';
COMMENT ON COLUMN main.document_attachments.text IS 'The file''s text; null when none was read.';
COMMENT ON COLUMN main.document_attachments.extraction_status IS 'ok | empty | too_large | undecodable | encrypted | archive | failed | robots | off_host | skipped: see core.attachments.';
COMMENT ON COLUMN main.document_attachments.format IS 'pdf | doc | wps | docx | xls | xlsx | ofd | rtf | zip …';
COMMENT ON COLUMN main.document_attachments.reason IS 'Why the status is not ok, in one line.';
COMMENT ON COLUMN main.document_attachments.substance IS 'True for the file holding the document''s substance (its page is only a cover; the summary comes from the file).';
COMMENT ON VIEW main.document_links IS 'Relations between documents; cites: from_doc_id names to_doc_id in 《》 or by 发文字号; attachment: to_doc_id is the text of a file from_doc_id''s page links (evidence: the file''s URL).';
COMMENT ON COLUMN core.document_links.relation IS 'Kind of relation: cites | attachment (to_doc_id holds the text of a file attached to from_doc_id).';
COMMENT ON COLUMN core.document_links.evidence IS 'The title key or 发文字号 that made a cites link; the file''s URL for an attachment link.';
COMMENT ON COLUMN core.search_documents.content_hash IS 'Hash of what the terms were built from: the document''s content_hash, or with attachment text a hash of it and the attachments'' text hashes (warehouse/search.py INDEX_HASH); differs after a new version or a newly read attachment until re-indexed.';
