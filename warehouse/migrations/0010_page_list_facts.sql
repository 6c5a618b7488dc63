-- 0010_page_list_facts: what a list stated about a page, kept with the page (issue 18). A JSON API's list
-- item names a document's title, date, issuer and 发文字号; the page was parsed with those facts (and with
-- its fetch date, already in fetched_at), so a reparse must read them back to rebuild the same options:
-- without them it wrote nulls over the issuer, 发文字号 and dateline dates a fetch-time parse had found.
ALTER TABLE core.pages ADD COLUMN list_facts JSON;

COMMENT ON COLUMN core.pages.list_facts IS 'Facts the list stated about this page when it was fetched (a JSON API item: title, published_on, issuer, doc_number…), as parsed with it; null when the list stated none (an HTML list, a feed, a file). Reparse feeds them back to the parser.';
