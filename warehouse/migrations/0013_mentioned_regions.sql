-- 0013_mentioned_regions: a document's own regions apart from the places it merely mentions (issue 23). `regions`
-- listed every place the text named, so the national bio-economy plan carried 18 provinces and a search for
-- --region 广东 ranked it first. From here `regions` holds the issuing or target regions only (parsers/metadata.py:
-- a local issuer's region, the title's places, a single specific addressee, a news story's own place, else the
-- source's region) and `mentioned_regions` the other places the text names. Old rows get [] here and both lists
-- are recomputed by the next `policywatch reparse` (until then their `regions` still hold every place).
-- Added bare, then filled: DuckDB 1.5.5 fails `ADD COLUMN … VARCHAR[] DEFAULT []` on a table of more than one
-- vector of rows ("INTERNAL Error: Operation requires a flat vector"), and DuckLake takes no list DEFAULT.
-- The loader writes the column for every new row, so no DEFAULT is needed.
ALTER TABLE core.documents ADD COLUMN mentioned_regions VARCHAR[];
UPDATE core.documents SET mentioned_regions = []::VARCHAR[];
-- NOT NULL comes in 0014: DuckDB (1.5.5) refuses SET NOT NULL on a list column added in the same transaction.

-- The contract view, with the new column added at the end (saved SQL selecting the old ones still runs).
CREATE OR REPLACE VIEW main.documents AS
SELECT doc_id, title, url, published_on, first_seen_at, issuers, doc_number, regions, doc_type,
       source_name, relevant, text, summary,
       week, signed_on, index_number, level, keywords, original_source, original_url, version, updated_at,
       extraction_status, extraction_reason, mentioned_regions
FROM core.documents;

-- document_regions keeps its columns and its meaning (one row per element of regions); the mentions get their own.
CREATE OR REPLACE VIEW main.document_region_mentions AS
SELECT doc_id, unnest(mentioned_regions) AS region, level FROM core.documents;

COMMENT ON COLUMN core.documents.regions IS 'Issuing or target regions: a provincial or municipal issuer''s region, the places the title names, a single specific addressee, a news story''s own place (its dateline place when the lead names it again), else the source''s region. Empty for a central document whose title names no place. Provinces by short name (广东), clusters followed by their members (京津冀, 北京, 天津, 河北).';
COMMENT ON COLUMN core.documents.mentioned_regions IS 'Regions the text names that are not in regions (places a national plan merely mentions), in order of first mention; the rote addressee list (各省、自治区、直辖市…) names none.';
COMMENT ON VIEW main.documents IS 'One row per distinct document (reposts collapsed); week = ISO week (Asia/Shanghai) of first_seen_at; extraction_status says whether the extractor doubted it; regions = issuing or target regions, mentioned_regions = places only mentioned.';
COMMENT ON COLUMN main.documents.mentioned_regions IS 'Regions the text only mentions: see core.documents.mentioned_regions.';
COMMENT ON VIEW main.document_regions IS 'Document × issuing or target region (one row per element of documents.regions), with the issuer level.';
COMMENT ON COLUMN main.document_regions.region IS 'One region the document is issued by or aimed at.';
COMMENT ON VIEW main.document_region_mentions IS 'Document × region it only mentions (one row per element of documents.mentioned_regions), with the issuer level.';
COMMENT ON COLUMN main.document_region_mentions.region IS 'One region the document''s text names without being issued by or aimed at it.';
COMMENT ON COLUMN main.document_region_mentions.level IS 'Administrative level of the issuer: central | provincial | municipal.';
