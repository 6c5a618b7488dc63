"""What search reads of a document, defined once for the indexer, the query and the benchmark's scan.

Its title, and its body: the page's text, then the text its attachments gave, in page order (a word only
in the plan a notice hands over finds the notice). SQL fragments over `core.documents d` joined to ATTACHED
as `a`; no imports beyond the standard library, so `policywatch search` stays light.
"""

from __future__ import annotations

# Attachment texts per document in page order. {hashes}: their hashes too (the index hash is made of them);
# {filter}: narrows the attachments read (`AND doc_id IN (...)`), or "".
ATTACHED = """
SELECT doc_id, string_agg(text, chr(10) ORDER BY position) AS text{hashes}
FROM core.attachments WHERE text IS NOT NULL {filter} GROUP BY doc_id
"""
HASHES = ",\n       string_agg(text_hash, ',' ORDER BY position) AS hashes"
TITLE = "coalesce(d.title, '')"
BODY = "d.text || coalesce(chr(10) || a.text, '')"
# Whether the raw title or body holds every part of $parts (a folded part in the raw text is in the folded
# text too, so a true here needs no folding).
HOLDS_EVERY_PART = f"list_bool_and([contains({TITLE}, p) OR contains({BODY}, p) FOR p IN $parts::VARCHAR[]])"


def attached(filter_sql: str = "", *, hashes: bool = False) -> str:
    """The attachment texts subquery, narrowed by `filter_sql`, with the texts' hashes when asked."""
    return ATTACHED.replace("{hashes}", HASHES if hashes else "").replace("{filter}", filter_sql)
