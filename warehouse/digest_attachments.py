"""What the digest shows of a week's attachments: the files under each document, and the notice a file belongs to.

Apart from warehouse/attachments.py (the attachment stage's loading, which needs numpy and the parsers) so
that `policywatch digest` imports only what it reads with.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import duckdb

from warehouse.sql import LISTED, listed_ids

# The files the digest shows under a document: the one holding its substance; and the attachment links of
# the week's documents, either way (a standalone copy is collapsed under its notice, or marked as its file).
DIGEST_FILES = f"""
SELECT a.doc_id, a.name, a.url, a.format FROM core.attachments a
WHERE {LISTED.format(column="a.doc_id")}
  AND (a.substance OR EXISTS (SELECT 1 FROM core.document_links l
                              WHERE l.relation = 'attachment' AND l.from_doc_id = a.doc_id AND l.evidence = a.url))
ORDER BY a.doc_id, a.position
"""
DIGEST_LINKS = f"""
SELECT l.from_doc_id, l.to_doc_id, l.evidence, f.title, f.url, t.title, t.url
FROM core.document_links l JOIN core.documents f ON f.doc_id = l.from_doc_id
JOIN core.documents t ON t.doc_id = l.to_doc_id
WHERE l.relation = 'attachment'
  AND ({LISTED.format(column="l.from_doc_id")} OR {LISTED.format(column="l.to_doc_id")})
ORDER BY l.from_doc_id, l.to_doc_id
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class DigestAttachment:
    """A file shown under a document in the digest, with the document holding its text as its own, if any."""

    name: str
    url: str | None
    kind: str  # PDF, DOCX …
    standalone: tuple[str, str | None] | None = None  # (title, url) of the document holding its text


def digest_attachments(
    con: duckdb.DuckDBPyConnection, doc_ids: Collection[str]
) -> tuple[dict[str, list[DigestAttachment]], dict[str, tuple[str, str, str | None]]]:
    """For the digest: doc_id → the files holding its substance; doc_id → (notice doc_id, title, url) of the
    notice a document is the attachment of."""
    if not doc_ids:
        return {}, {}
    ids = listed_ids(sorted(doc_ids))
    files = con.execute(DIGEST_FILES, ids).fetchall()
    links = con.execute(DIGEST_LINKS, ids).fetchall()
    standalone = {(notice, url): (title or "", href) for notice, _, url, _, _, title, href in links}
    shown: dict[str, list[DigestAttachment]] = {}
    for doc_id, name, url, fmt in files:
        file = DigestAttachment(
            name=name or url, url=url, kind=(fmt or "file").upper(), standalone=standalone.get((doc_id, url))
        )
        shown.setdefault(doc_id, []).append(file)
    attached = {plan: (notice, title or "", href) for notice, plan, _, title, href, _, _ in links}
    return shown, attached
