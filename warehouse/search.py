"""Search that never misses: a document matches when every query part is a substring of its folded title or body.

Candidates are the documents holding every bigram of every part (core.document_grams, built by
warehouse/search_build.py); they are ranked with BM25 over the query's grams in SQL (title boosted) plus
bonuses for a title holding every part or equal to the query; then, in rank order, each is checked (the
folded part really is in its text) until `limit` checked hits are sure to be the best. A query path that
imports duckdb and the standard library only: `policywatch search` starts fast.

With a region, the documents issued by or aimed at it (`regions`) come first, then those that only
mention it (`mentioned_regions`): an analyst filtering for 广东 wants Guangdong's own notices on top and
still finds, below them, the national plan that names 广东 among eighteen provinces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple

import duckdb

from parsers.grams import MASK_BITS, QueryGrams, fold, query_grams, query_parts
from warehouse.search_body import BODY, HOLDS_EVERY_PART, TITLE, attached
from warehouse.sql import ID_SEPARATOR, LISTED, listed_ids

__all__ = ["SearchFilters", "SearchHit", "index_documents", "matching", "scan_matching", "search"]

# BM25 knobs: the usual k1 and b; a title hit counts three times a body hit (as in the classifier).
K1, B, TITLE_BOOST = 1.2, 0.75, 3.0
# A title holding every part is what the user is after: put it on top; a title equal to the query
# (letters and digits only) above every other.
TITLE_BONUS = EXACT_TITLE_BONUS = 100.0
_LETTERS = re.compile(r"[\W_]+")  # everything but letters and digits
_SNIPPET = 60  # characters of context around the first hit
POOL = 200  # candidates ranked at once; more are ranked only when checking exhausts them
CHECK = 50  # candidates checked at once (see FETCH_SHORT)
READ = 10  # texts read at once for candidates whose title does not settle the check (see FETCH_TEXTS)

# The corpus's size and mean field lengths (in grams), and one hit row's BM25 term before its idf, which RANK
# and SCORED share.
STATS = """stats AS (
    SELECT count(*)::DOUBLE AS n, greatest(avg(title_grams), 1) AS avg_title, greatest(avg(body_grams), 1) AS avg_body
    FROM core.search_documents)"""
BM25_TERM = """h.tf * ($k1 + 1) / (h.tf + $k1 * (1 - $b + $b * CASE h.field
                   WHEN 'title' THEN sd.title_grams / s.avg_title ELSE sd.body_grams / s.avg_body END))"""

# {hits}: the CTE `hits`, one SELECT per required key or one-character range, each tagged with its number `k`,
# and with words of three characters or more, the CTE `aligned` (see ALIGNED) kept by {aligned}.
# BM25 per field with the length of the field in grams, its terms summed as DECIMAL (exact: a float sum's last
# bits depend on the order a plan meets the terms); a document must hold every k (AND); `bound` is its
# score with every title bonus it could earn: the title holds every gram, and for the exact-title bonus its
# letters are as many as the query's (the fold keeps letters letters; 2 of slack for the rare character
# Python's \w and \p{L}\p{N} class apart). No checked score exceeds its bound.
RANK = f"""
WITH {STATS},
{{hits}}
per_key AS (
    SELECT h.doc_key, h.k, bool_or(h.field = 'title') AS in_title,
           sum({BM25_TERM}
               * CASE h.field WHEN 'title' THEN $title_boost ELSE 1 END) AS part
    FROM hits h JOIN core.search_documents sd USING (doc_key) CROSS JOIN stats s
    GROUP BY h.doc_key, h.k),
idf AS (
    SELECT p.k, ln(1 + (any_value(s.n) - count(*) + 0.5) / (count(*) + 0.5)) AS idf
    FROM per_key p CROSS JOIN stats s GROUP BY p.k),
scored AS (
    SELECT p.doc_key, count(*) FILTER (WHERE p.in_title) AS in_title,
           sum((i.idf * p.part)::DECIMAL(18, 12))::DOUBLE AS bm25
    FROM per_key p JOIN idf i USING (k){{aligned}}
    GROUP BY p.doc_key HAVING count(*) = $needed)
SELECT sd.doc_id, sc.bm25,
       sc.bm25 + CASE WHEN sc.in_title = $needed THEN $title_bonus
           + CASE WHEN abs(length(regexp_replace(coalesce(d.title, ''), '[^\\p{{L}}\\p{{N}}_]', '', 'g'))
                           - $letters) <= 2
                  THEN $exact_bonus ELSE 0 END ELSE 0 END AS bound{{raw}}
FROM scored sc JOIN core.search_documents sd USING (doc_key) JOIN core.documents d ON d.doc_id = sd.doc_id{{texts}}
WHERE ($since::DATE IS NULL OR coalesce(d.published_on, d.first_seen_at::DATE) >= $since::DATE)
  AND ($until::DATE IS NULL OR coalesce(d.published_on, d.first_seen_at::DATE) <= $until::DATE)
  AND ($region::VARCHAR IS NULL OR CASE WHEN $mentions
           THEN list_contains(d.mentioned_regions, $region::VARCHAR) AND NOT list_contains(d.regions, $region::VARCHAR)
           ELSE list_contains(d.regions, $region::VARCHAR) END)
  AND ($topic::VARCHAR IS NULL OR d.doc_id IN (SELECT l.doc_id FROM core.document_labels l
                                               WHERE l.topic = $topic::VARCHAR OR l.topic_id = $topic::VARCHAR))
ORDER BY bound DESC, sd.doc_id
LIMIT $pool
"""
# RANK with the document frequencies of its keys looked up (core.gram_df; $ks, $dfs: each key's k and df) rather
# than counted from every hit row: the hits of all but the rarest key are then only of the rarest's documents.
IDF_COUNTED = """idf AS (
    SELECT p.k, ln(1 + (any_value(s.n) - count(*) + 0.5) / (count(*) + 0.5)) AS idf
    FROM per_key p CROSS JOIN stats s GROUP BY p.k),"""
IDF_KNOWN = """idf AS (
    SELECT d.k, ln(1 + (s.n - d.df + 0.5) / (d.df + 0.5)) AS idf
    FROM (SELECT unnest($ks::INTEGER[]) AS k, unnest($dfs::BIGINT[]) AS df) d CROSS JOIN stats s),"""
RANK_KNOWN = RANK.replace(IDF_COUNTED, IDF_KNOWN)
# RANK_KNOWN over the documents whose title holds every gram only (`titled`), for a query of keys only (no
# ranges): they are few, and every other document scores below `ceiling` (BM25's per-field term is below k1 + 1,
# so a gram adds less than idf × (k1 + 1) × (1 + title boost); no title bonus without every gram in the title),
# so when `limit` of them check out above it, the ranking over every candidate is not needed.
TITLED = (
    RANK_KNOWN.replace(
        """per_key AS (""",
        """titled AS (SELECT doc_key FROM hits WHERE field = 'title' GROUP BY doc_key HAVING count(*) = $needed),
per_key AS (""",
    )
    .replace(
        """    FROM hits h JOIN core.search_documents sd USING (doc_key) CROSS JOIN stats s
    GROUP BY h.doc_key, h.k),""",
        """    FROM hits h JOIN core.search_documents sd USING (doc_key) CROSS JOIN stats s
    WHERE h.doc_key IN (SELECT doc_key FROM titled)
    GROUP BY h.doc_key, h.k),""",
    )
    .replace("{aligned}", "")  # the few titled candidates are checked anyway: no grouping of every row by word
    .replace(
        """ AS bound{raw}""",
        """ AS bound,
       (SELECT sum(idf) FROM idf) * ($k1 + 1) * (1 + $title_boost) AS ceiling""",
    )
)
# How many documents' titles hold every gram, from the title rows alone: TITLED needs `limit` of them (a query
# with no such titles would compute its document frequencies for nothing).
TITLES = """
WITH {hits}
titled AS (SELECT doc_key FROM hits WHERE field = 'title' GROUP BY doc_key HAVING count(*) = $needed)
SELECT count(*) FROM titled
"""
# RANK in one pass over the hit rows, for a query of at most ONE_PASS keys (no ranges) whose document
# frequencies are known ($dfs, in the order of k): each row's BM25 term times its key's idf, summed by document
# (RANK groups by document and key, joins the idf, then groups by document again); the keys a document holds,
# and holds in its title, as bits of k ($all: every key). {whole}: for each word of three characters or more,
# one field holds all its keys ($wN) and their masks rotated back by their offsets share a bit (as ALIGNED).
# Its terms are rounded to 12 decimals before they are summed, RANK's after: scores may differ in that digit.
ONE_PASS = 62
SCORED = f"""
WITH {STATS},
{{hits}}
scored AS (
    SELECT h.doc_key, bit_count(bit_or(1::BIGINT << h.k) FILTER (WHERE h.field = 'title')) AS in_title,
           sum((ln(1 + (s.n - $dfs[h.k + 1] + 0.5) / ($dfs[h.k + 1] + 0.5))
               * ({BM25_TERM}
                  * CASE h.field WHEN 'title' THEN $title_boost ELSE 1 END))::DECIMAL(18, 12))::DOUBLE AS bm25
    FROM hits h JOIN core.search_documents sd USING (doc_key) CROSS JOIN stats s
    GROUP BY h.doc_key
    HAVING {{held}} = $all{{whole}})
"""
RANK_ONE = SCORED.replace("{held}", "bit_or(1::BIGINT << h.k)") + RANK[RANK.index("SELECT sd.doc_id, sc.bm25") :]
# TITLED in one pass: documents whose title holds every key (found from the title rows first, so that only
# their rows are grouped), with the ceiling of every other document's score.
TITLED_ONE = (
    SCORED.replace("{held}", "bit_or(1::BIGINT << h.k) FILTER (WHERE h.field = 'title')")
    .replace("{whole}", "")
    .replace(
        """    GROUP BY h.doc_key
    HAVING""",
        """    WHERE h.doc_key IN (SELECT doc_key FROM hits WHERE field = 'title'
                        GROUP BY doc_key HAVING count(*) = $needed)
    GROUP BY h.doc_key
    HAVING""",
    )
    + RANK[RANK.index("SELECT sd.doc_id, sc.bm25") :]
).replace(
    " AS bound{raw}",
    """ AS bound,
       (SELECT sum(ln(1 + (s.n - d.df + 0.5) / (d.df + 0.5))) FROM (SELECT unnest($dfs) AS df) d CROSS JOIN stats s)
       * ($k1 + 1) * (1 + $title_boost) AS ceiling""",
)
# A word whole in one field ({w}: its number; {field}: title or body; {masks}: a CASE giving each of its keys'
# masks rotated back by the key's offsets, and'ed when it is at more than one).
WHOLE_IN = """(bit_or(1::BIGINT << h.k) FILTER (WHERE h.field = '{field}') & $w{w} = $w{w}
     AND bit_and({masks}) FILTER (WHERE h.field = '{field}') <> 0)"""
ROTATED = "(((h.mask::INTEGER >> {o}) | (h.mask::INTEGER << (8 - {o}))) & 255)"
# RANK over every candidate with the check in SQL (one read of the texts, as a scan): whether the raw title or
# body holds every part (a folded part in the raw text is in the folded text; the rest are folded in Python).
RAW = f""",
       {HOLDS_EVERY_PART} AS raw"""
RAW_TEXTS = f"""
LEFT JOIN ({attached()}) a ON a.doc_id = sd.doc_id"""
EVERY = 2**62  # a pool holding every candidate
HIT_KEY = "SELECT {k} AS k, doc_key, field, tf, mask FROM core.document_grams WHERE gram = ${p}"
# With document frequencies known: the rarest key's documents (`rare`), and every other key's rows among them
# only (a common gram has a row in most documents: grouping them all by document was most of a query's time).
RARE = "rare AS MATERIALIZED (SELECT doc_key FROM core.document_grams WHERE gram = ${p}),"
HIT_RARE = HIT_KEY + " AND doc_key IN (SELECT doc_key FROM rare)"
# Documents holding each of the keys ({keys}: `$gN` placeholders; a constant IN list prunes row groups).
FREQUENCIES = "SELECT gram, sum(df) FROM core.gram_df WHERE gram IN ({keys}) GROUP BY gram"
# A one-character part: every gram starting with it (a range of keys; rows sorted by gram make it cheap).
HIT_RANGE = """SELECT {k} AS k, doc_key, field, sum(tf) AS tf, 0::UTINYINT AS mask FROM core.document_grams
WHERE gram >= ${p}lo AND gram < ${p}hi GROUP BY doc_key, field"""
# Documents where every word of three characters or more may stand whole in one field: its grams (k) at their
# offsets (o, mod 8) have masks that share a bit once rotated back by their offsets (parsers/grams.py). $spec:
# "word:k:offset" items joined by commas (one string: see LISTED); $words: how many words. Exact in what it
# rejects: a document it drops cannot hold the word, so the check after it is still what decides.
ALIGNED = """,
spec AS (
    SELECT s[1]::INTEGER AS w, s[2]::INTEGER AS k, s[3]::INTEGER AS o, count(*) OVER (PARTITION BY s[1]) AS n
    FROM (SELECT string_split(unnest(string_split($spec::VARCHAR, ',')), ':') AS s)),
aligned AS (
    SELECT doc_key FROM (
        SELECT h.doc_key, s.w FROM hits h JOIN spec s USING (k)
        GROUP BY h.doc_key, h.field, s.w
        HAVING count(*) = any_value(s.n)
           AND bit_and(((h.mask::INTEGER >> s.o) | (h.mask::INTEGER << (8 - s.o))) & 255) <> 0)
    GROUP BY doc_key HAVING count(DISTINCT w) = $words),"""
ONLY_ALIGNED = "\nWHERE doc_key IN (SELECT doc_key FROM aligned)"
# Every candidate (no ranking, no filter), and whether its raw title or body already holds every part (a
# folded part in the raw text is in the folded text too): only the others need folding in Python.
CANDIDATES = f"""
WITH {{hits}}
found AS (SELECT doc_key FROM hits{{aligned}} GROUP BY doc_key HAVING count(DISTINCT k) = $needed)
SELECT sd.doc_id, {HOLDS_EVERY_PART} AS raw
FROM found JOIN core.search_documents sd USING (doc_key) JOIN core.documents d ON d.doc_id = sd.doc_id
LEFT JOIN ({attached()}) a ON a.doc_id = sd.doc_id
"""
# Short columns, then texts, of some candidates only ($ids: their ids joined, see LISTED). Texts cost:
# DuckDB 1.5.5 reads the text column of far more rows than the IN list names (~24 ms for 10 documents at
# 20 000), so they are read only for candidates whose title does not settle them (or for snippets).
# Title and body as indexed: warehouse/search_body.py. {at}: AT when their row ids are known.
FETCH_SHORT = f"""
SELECT d.doc_id, d.title, d.url, d.published_on, d.source_name, d.regions, d.mentioned_regions FROM core.documents d
WHERE {LISTED.format(column="d.doc_id")}{{at}}
"""
FETCH_TEXTS = f"""
SELECT d.doc_id, {TITLE}, {BODY} AS body
FROM core.documents d LEFT JOIN ({attached("AND " + LISTED.format(column="doc_id"))}) a USING (doc_id)
WHERE {LISTED.format(column="d.doc_id")}{{at}}
"""
# The candidates' rows by their row ids (RANK reads them; one read-only connection sees the same rows all
# along): an ids list prunes nothing (ids are hashes), so every row group's ids (and texts) were read.
AT = f" AND d.rowid IN (SELECT unnest(string_split($rowids::VARCHAR, '{ID_SEPARATOR}')::BIGINT[]))"
# RANK's last column: the candidate's row id in core.documents.
ROW_ID = """,
       d.rowid AS at
FROM scored sc JOIN"""
# The benchmark's peer: every document whose raw title or body holds the part, by reading them all.
SCAN = f"""
SELECT d.doc_id FROM core.documents d LEFT JOIN ({attached()}) a USING (doc_id)
WHERE {HOLDS_EVERY_PART}
"""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked search result."""

    doc_id: str
    title: str | None
    url: str | None
    published_on: date | None
    source_name: str | None
    regions: tuple[str, ...]
    score: float
    snippet: str
    mentioned_regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What narrows a search besides its words: publication dates, a topic (name or id), a region.

    A region matches the documents issued by or aimed at it; with `mentions`, those that only mention it.
    """

    since: date | None = None
    until: date | None = None
    topic: str | None = None
    region: str | None = None
    mentions: bool = False


def index_documents(
    con: duckdb.DuckDBPyConnection,
    doc_ids: list[str] | None = None,
    *,
    now: datetime | None = None,
    commit_each: bool = False,
) -> int:
    """(Re)index documents for search (warehouse.search_build.index_documents, imported on use)."""
    from warehouse.search_build import index_documents as build

    return build(con, doc_ids, now=now, commit_each=commit_each)


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    *,
    limit: int = 20,
    since: date | None = None,
    until: date | None = None,
    topic: str | None = None,
    region: str | None = None,
    snippets: bool = True,
) -> list[SearchHit]:
    """The best `limit` documents holding every part of the query (substring, folded), filtered, ranked.

    With a region, every document issued by or aimed at it ranks above every one that only mentions it.
    A document's text is read only when its title cannot settle whether it holds the query and its score
    could still place it among the best; with `snippets`, the texts of the results are read at the end.
    """
    parts = query_parts(query)
    if not parts:
        return []
    filters = SearchFilters(since, until, topic, region)
    found = _search(con, parts, filters, limit, snippets=snippets)
    if region is None or len(found) >= limit:
        return found
    mentioning = _search(con, parts, replace(filters, mentions=True), limit - len(found), snippets=snippets)
    return found + mentioning


def _search(
    con: duckdb.DuckDBPyConnection, parts: tuple[str, ...], filters: SearchFilters, limit: int, *, snippets: bool
) -> list[SearchHit]:
    """The best `limit` documents holding every part, among those the filters keep."""
    whole = _LETTERS.sub("", " ".join(parts))
    hits = _hits([query_grams(p) for p in parts], con)
    if hits.empty:
        return []
    at: dict[str, int] = {}  # row ids of the candidates ranked
    rank: dict[str, Any] = {"hits": hits, "filters": filters, "letters": len(whole), "at": at}
    pool = max(POOL, 2 * limit)
    first = max(CHECK, limit)
    if hits.known:  # keys only
        titled = _titled(con, rank, parts, whole, limit, pool)
        if titled is not None:
            return _with_snippets(con, titled, parts[0], snippets, at)
    ranked = _rank(con, **rank, pool=pool)
    found = _checked(con, ranked[:first], parts, whole, {}, limit, at=at)
    if len(ranked) <= first or _settled(found, ranked[first:], limit):
        return _with_snippets(con, _best(found, limit), parts[0], snippets, at)
    # The best candidates failed the check (their bigrams are there, the words apart): check every candidate
    # at once in SQL, then score the ones that hold the query in rank order (titles only) until settled.
    everything = _rank(con, **rank, pool=EVERY, parts=parts)
    unsure = [doc_id for doc_id, _, _, raw in everything if not raw and doc_id not in found]
    texts = _fetch(con, FETCH_TEXTS, unsure, at)
    held = {d for d, title, body in texts if _holds(title, body, parts)}
    verified = [(d, bm25, bound) for d, bm25, bound, raw in everything if (raw or d in held) and d not in found]
    for start in range(0, len(verified), first):
        batch = verified[start : start + first]
        found |= _checked(con, batch, parts, whole, found, limit, known=True, at=at)
        if _settled(found, verified[start + len(batch) :], limit):
            break
    return _with_snippets(con, _best(found, limit), parts[0], snippets, at)


def _titled(
    con: duckdb.DuckDBPyConnection, rank: dict[str, Any], parts: tuple[str, ...], whole: str, limit: int, pool: int
) -> list[SearchHit] | None:
    """The best `limit` hits when documents whose title holds every gram settle them (TITLED), else None."""
    hits: Hits = rank["hits"]
    if not hits.one_pass:  # TITLED is costly: first count the titles (TITLED_ONE finds them as cheaply)
        row = con.execute(hits.into(TITLES), hits.params).fetchone()
        if not row or row[0] < limit:
            return None
    rows = _rank(con, **rank, pool=pool, titled=True)
    if len(rows) < limit:
        return None
    ceiling = rows[0][3]
    ranked = [row[:3] for row in rows]
    # Documents beyond a full pool are bounded by its last row: it stands for them once the pool is checked.
    beyond = ranked[-1:] if len(ranked) == pool else []
    found: dict[str, SearchHit] = {}
    first = max(CHECK, limit)
    for start in range(0, len(ranked), first):
        found |= _checked(con, ranked[start : start + first], parts, whole, found, limit, at=rank["at"])
        if _settled(found, ranked[start + first :] or beyond, limit):
            best = _best(found, limit)
            return best if best[-1].score > ceiling else None
    return None


def _with_snippets(
    con: duckdb.DuckDBPyConnection, hits: list[SearchHit], part: str, wanted: bool, at: dict[str, int]
) -> list[SearchHit]:
    """The hits with the text around the first place `part` is in their body, when `wanted`."""
    if not wanted or not hits:
        return hits
    bodies = {doc_id: body for doc_id, _, body in _fetch(con, FETCH_TEXTS, [h.doc_id for h in hits], at)}
    return [replace(h, snippet=_snippet(bodies[h.doc_id], part)) if bodies.get(h.doc_id) else h for h in hits]


def _best(found: dict[str, SearchHit], limit: int) -> list[SearchHit]:
    """The best `limit` hits found, best first."""
    return sorted(found.values(), key=lambda h: (-h.score, h.doc_id))[:limit]


def _settled(found: dict[str, SearchHit], rest: list[tuple[Any, ...]], limit: int) -> bool:
    """True when no candidate of `rest` (unchecked, in bound order; the pool's last bound also bounds the
    candidates beyond it) can beat the `limit`-th score found: a score never exceeds its bound."""
    best = _best(found, limit)
    return len(best) == limit and (not rest or rest[0][2] <= best[-1].score)


def scan_matching(con: duckdb.DuckDBPyConnection, part: str) -> set[str]:
    """Every document whose raw title or body holds `part`, by reading them all (the benchmark's peer)."""
    return {doc_id for (doc_id,) in con.execute(SCAN, {"parts": [part]}).fetchall()}


def matching(con: duckdb.DuckDBPyConnection, query: str) -> set[str]:
    """Every document holding every part of the query (no ranking, no limit): the match set `search` ranks."""
    parts = query_parts(query)
    if not parts:
        return set()
    hits = _hits([query_grams(p) for p in parts], con)
    if hits.empty:
        return set()
    rows = con.execute(hits.into(CANDIDATES), hits.params | {"parts": list(parts)}).fetchall()
    out = {doc_id for doc_id, raw in rows if raw}
    for batch in _batches([doc_id for doc_id, raw in rows if not raw], 4096):
        out |= {doc_id for doc_id, title, body in _fetch(con, FETCH_TEXTS, batch) if _holds(title, body, parts)}
    return out


class Hits(NamedTuple):
    """A query's {hits} and {aligned} for RANK and CANDIDATES, and their bound parameters."""

    ctes: str
    aligned: str
    params: dict[str, Any]
    ranges: int = 0  # one-character parts among the required
    dfs: tuple[int, ...] = ()  # the keys' document frequencies when looked up: RANK_KNOWN ranks ($ks, $dfs)
    plain: str = ""  # {hits} without the `aligned` CTE (RANK_ONE, TITLED_ONE)
    whole: str = ""  # RANK_ONE's {whole}
    whole_params: dict[str, Any] = {}  # noqa: RUF012  # a NamedTuple's default: never mutated

    @property
    def one_pass(self) -> bool:
        """RANK_ONE and TITLED_ONE rank: keys only, frequencies known, few enough for bits of a BIGINT."""
        return self.known and len(self.dfs) <= ONE_PASS

    def one_pass_params(self, *, titled: bool = False) -> dict[str, Any]:
        """RANK_ONE's (or TITLED_ONE's) parameters beside those of the statement's other parts."""
        plain = {k: v for k, v in self.params.items() if k not in ("spec", "words")}
        extra = {"dfs": list(self.dfs), "all": (1 << len(self.dfs)) - 1}
        return plain | extra | ({} if titled else self.whole_params)

    @property
    def known(self) -> bool:
        return bool(self.dfs)

    @property
    def empty(self) -> bool:
        """A key no document holds: nothing matches."""
        return self.known and min(self.dfs) == 0

    def idf_params(self) -> dict[str, Any]:
        """RANK_KNOWN's parameters: each key's k and document frequency."""
        return {"ks": list(range(len(self.dfs))), "dfs": list(self.dfs)} if self.known else {}

    def into(self, statement: str) -> str:
        if self.known:
            statement = statement.replace(IDF_COUNTED, IDF_KNOWN)
        return statement.replace("{hits}", self.ctes).replace("{aligned}", self.aligned)


def _hits(required: list[QueryGrams], con: duckdb.DuckDBPyConnection | None = None) -> Hits:
    """The `hits` union over every distinct key and range, the `aligned` filter of the words, their parameters.

    With a connection and no ranges, the keys' document frequencies are looked up: the rarest key's rows are
    read whole, the others' only for its documents (a range's frequency is not kept: with one, every row).
    """
    keys = list(dict.fromkeys(k for q in required for k in q.keys))
    ranges = list(dict.fromkeys(r for q in required for r in q.ranges))
    params: dict[str, Any] = {f"g{i}": key for i, key in enumerate(keys)}
    dfs = _frequencies(con, keys) if con is not None and keys and not ranges else None
    if dfs is None:
        selects = [HIT_KEY.format(k=i, p=f"g{i}") for i in range(len(keys))]
        ctes = "hits AS ("
    else:
        rare = min(range(len(keys)), key=lambda i: dfs[i])
        selects = [(HIT_KEY if i == rare else HIT_RARE).format(k=i, p=f"g{i}") for i in range(len(keys))]
        ctes = RARE.format(p=f"g{rare}") + "\nhits AS ("
    selects += [HIT_RANGE.format(k=len(keys) + i, p=f"r{i}") for i in range(len(ranges))]
    for i, (low, high) in enumerate(ranges):
        params |= {f"r{i}lo": low, f"r{i}hi": high}
    params["needed"] = len(keys) + len(ranges)
    ctes += "\nUNION ALL\n".join(selects) + "),"
    known = tuple(dfs or ())
    words = list(dict.fromkeys(w for q in required for w in q.words))
    if not words:
        return Hits(ctes, "", params, len(ranges), known, ctes)
    spec = ",".join(
        f"{w}:{keys.index(key)}:{o % MASK_BITS}" for w, word in enumerate(words) for o, key in enumerate(word)
    )
    whole, whole_params = _whole([[keys.index(key) for key in word] for word in words])
    params |= {"spec": spec, "words": len(words)}
    return Hits(ctes[:-1] + ALIGNED, ONLY_ALIGNED, params, len(ranges), known, ctes, whole, whole_params)


def _whole(words: list[list[int]]) -> tuple[str, dict[str, Any]]:
    """RANK_ONE's {whole} for words given as their keys' k in order, and its parameters ($wN: a word's keys as bits)."""
    sql, params = "", {}
    for w, ks in enumerate(words):
        offsets: dict[int, list[int]] = {}
        for o, k in enumerate(ks):
            offsets.setdefault(k, []).append(o % MASK_BITS)
        cases = " ".join(
            f"WHEN {k} THEN " + " & ".join(ROTATED.format(o=o) for o in found) for k, found in offsets.items()
        )
        masks = f"CASE h.k {cases} END"
        title, body = (WHOLE_IN.format(field=f, w=w, masks=masks) for f in ("title", "body"))
        sql += f"\n     AND ({title}\n          OR {body})"
        params[f"w{w}"] = sum(1 << k for k in offsets)
    return sql, params


def _frequencies(con: duckdb.DuckDBPyConnection, keys: list[int]) -> list[int]:
    """How many documents hold each key (core.gram_df)."""
    statement = FREQUENCIES.replace("{keys}", ", ".join(f"$g{i}" for i in range(len(keys))))
    found = dict(con.execute(statement, {f"g{i}": key for i, key in enumerate(keys)}).fetchall())
    return [int(found.get(key) or 0) for key in keys]


def _rank(
    con: duckdb.DuckDBPyConnection,
    hits: Hits,
    *,
    filters: SearchFilters,
    pool: int,
    letters: int,
    parts: tuple[str, ...] = (),
    titled: bool = False,
    at: dict[str, int] | None = None,
) -> list[tuple[Any, ...]]:
    """(doc_id, bm25, bound) of the best `pool` candidates by bound; `letters`: the query's letters and digits.

    With `parts`, every row also says whether its raw text holds them all (RAW); `titled`: candidates whose
    title holds every gram only, each row with the ceiling of every other document's score (TITLED).
    `at` is given every candidate's row id in core.documents.
    """
    bound: dict[str, Any] = {"k1": K1, "b": B, "title_boost": TITLE_BOOST, "pool": pool, "letters": letters}
    bound |= {"title_bonus": TITLE_BONUS, "exact_bonus": EXACT_TITLE_BONUS}
    bound |= {"since": filters.since, "until": filters.until, "topic": filters.topic, "region": filters.region}
    bound["mentions"] = filters.mentions
    if hits.one_pass:
        one = TITLED_ONE if titled else RANK_ONE.replace("{whole}", hits.whole)
        statement, params = one.replace("{hits}", hits.plain), hits.one_pass_params(titled=titled)
    else:
        statement, params = hits.into(TITLED if titled else RANK), hits.params | hits.idf_params()
    statement = statement.replace("\nFROM scored sc JOIN", ROW_ID)
    if parts:
        statement, params = (
            statement.replace("{raw}", RAW).replace("{texts}", RAW_TEXTS),
            params | {"parts": list(parts)},
        )
    rows = con.execute(statement.replace("{raw}", "").replace("{texts}", ""), params | bound).fetchall()
    if at is not None:
        at.update((r[0], r[-1]) for r in rows)
    if titled:
        return [(r[0], float(r[1]), float(r[2]), float(r[3])) for r in rows]
    if parts:
        return [(r[0], float(r[1]), float(r[2]), bool(r[3])) for r in rows]
    return [(r[0], float(r[1]), float(r[2])) for r in rows]


def _checked(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[str, float, float]],
    parts: tuple[str, ...],
    whole: str,
    found: dict[str, SearchHit],
    limit: int,
    *,
    known: bool = False,
    at: dict[str, int] | None = None,
) -> dict[str, SearchHit]:
    """The candidates of a batch that hold every part (all of them when `known`) and may rank among the best
    `limit` beside `found`, with final scores (no snippets).

    A score comes from the title alone (BM25 and the title bonuses), so a candidate whose title does not
    settle the check has its text read only while its score can still beat the `limit`-th best found.
    """
    bm25 = {doc_id: score for doc_id, score, _ in batch}
    # A candidate holds every bigram of every part: a part of one or two characters (no space) is in it for sure.
    unsure = () if known else tuple(p for p in parts if len(p) > 2 or " " in p)
    out: dict[str, SearchHit] = {}
    doubtful: list[SearchHit] = []
    for doc_id, title, url, published, source, regions, mentioned in _fetch(con, FETCH_SHORT, list(bm25), at):
        folded = fold(title or "")
        titled = all(p in folded for p in parts)
        score = bm25[doc_id] + (TITLE_BONUS if titled else 0.0)
        score += EXACT_TITLE_BONUS if titled and _LETTERS.sub("", folded) == whole else 0.0
        hit = SearchHit(doc_id, title, url, published, source, tuple(regions or ()), score, "", tuple(mentioned or ()))
        if all(p in folded for p in unsure):
            out[doc_id] = hit
        else:
            doubtful.append(hit)
    doubtful.sort(key=lambda h: (-h.score, h.doc_id))
    while doubtful:
        best = _best(found | out, limit)
        if len(best) == limit:  # a hit scoring below the limit-th best found cannot place
            doubtful = [h for h in doubtful if h.score >= best[-1].score]
        read, doubtful = doubtful[:READ], doubtful[READ:]
        texts = {
            doc_id: (title, body) for doc_id, title, body in _fetch(con, FETCH_TEXTS, [h.doc_id for h in read], at)
        }
        out |= {h.doc_id: h for h in read if h.doc_id in texts and _holds(*texts[h.doc_id], unsure)}
    return out


def _fetch(
    con: duckdb.DuckDBPyConnection, statement: str, ids: list[str], at: dict[str, int] | None = None
) -> list[tuple[Any, ...]]:
    """Rows of a FETCH statement for these documents, the ids bound as one string (see LISTED), found by their
    row ids when `at` knows them all (see AT)."""
    if not ids:
        return []
    if at is None or any(i not in at for i in ids):
        return con.execute(statement.replace("{at}", ""), listed_ids(ids)).fetchall()
    rowids = ID_SEPARATOR.join(str(at[i]) for i in ids)
    return con.execute(statement.replace("{at}", AT), listed_ids(ids) | {"rowids": rowids}).fetchall()


def _holds(title: str, body: str, parts: tuple[str, ...]) -> bool:
    """Every (folded) part is in the folded title or the folded body; the text is folded only when needed."""
    folded: list[str] = []
    for part in parts:
        if part in title or part in body:  # a folded part in the raw text is in the folded text too
            continue
        if not folded:
            folded = [fold(title), fold(body)]
        if part not in folded[0] and part not in folded[1]:
            return False
    return True


def _snippet(body: str, part: str) -> str:
    """Text around the first place the part is in the body (the fold keeps positions)."""
    at = body.find(part)
    at = fold(body).find(part) if at < 0 else at
    if at < 0:
        return ""
    return body[max(0, at - _SNIPPET // 2) : at + _SNIPPET // 2 + len(part)]


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
