"""`policywatch bench dedup --synthetic N`: duplicate detection quality and speed, ours vs datasketch MinHashLSH.

The corpus is synthetic and deterministic: policy-like documents of 1–5 KB (issuer boilerplate
shared between documents of one issuer, topic vocabulary shared between documents of one topic)
and a known share of reposts of earlier documents: other site chrome, paragraphs reordered or the
first one dropped, or a traditional-character copy (OpenCC s2t, then our normalisation back).
Both paths get the same normalised texts and the same rule: a document is a duplicate when its
best LSH candidate reaches the threshold; only that step (fingerprint, query, insert) is timed.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from flows.bench.app import bench_app
from parsers.dedup import BANDS, ROWS, DedupIndex
from parsers.fingerprint import fingerprint, fold_for_hash
from parsers.normalize import normalize_text, to_simplified

_CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]  # the common block: enough for distinct vocabularies
_ISSUERS = 40
_TOPICS = 60
_PUNCT = "，，，、；"
_CHROME = (  # what extraction leaves of a repost site's page furniture: a line above, a line below
    ("来源：{site}  发布时间：2024-0{m}-1{d}  字号：大 中 小", "责任编辑：{editor}  【打印本页】【关闭窗口】"),
    ("{site} > 政策解读 > 正文", "（{site}综合整理，转载请注明出处）"),
    ("本文转自{site}，阅读量 {m}{d}37", "声明：本站转载文章仅为传递信息，不代表本站观点。"),
)
_SITES = ("华夏经纬网", "法治观察网", "生物谷", "医药观察网", "产业资讯网", "科技日报客户端")


@dataclass(frozen=True, slots=True)
class Item:
    """One synthetic document: its normalised text and the id of the document it copies (itself if original)."""

    index: int
    text: str
    original: int


class Corpus:
    """A deterministic synthetic corpus: original i is always the same text, whatever is generated around it."""

    def __init__(self, *, seed: int, repost_share: float) -> None:
        rng = random.Random(seed)
        self.seed, self.repost_share = seed, repost_share
        # Simplified like every stored text: random code points include traditional forms (乾, 亂).
        self.words = [to_simplified("".join(rng.choices(_CJK, k=rng.choice((2, 2, 3, 4))))) for _ in range(20000)]
        self.topics = [rng.sample(range(len(self.words)), 300) for _ in range(_TOPICS)]
        self.openings = [self._sentences(rng, None, 2) for _ in range(_ISSUERS)]
        self.closings = [self._sentences(rng, None, 3) for _ in range(_ISSUERS)]

    def _sentences(self, rng: random.Random, topic: int | None, count: int) -> str:
        out = []
        for _ in range(count):
            pool = self.topics[topic] if topic is not None and rng.random() < 0.5 else None
            count_words = rng.randint(8, 16)
            words = [self.words[rng.choice(pool)] if pool else rng.choice(self.words) for _ in range(count_words)]
            out.append("".join(w + (rng.choice(_PUNCT) if rng.random() < 0.2 else "") for w in words) + "。")
        return "".join(out)

    def original(self, i: int) -> list[str]:
        """The paragraphs of original document i: title, issuer opening, body, issuer closing."""
        rng = random.Random(self.seed * 1_000_003 + i)
        issuer, topic = rng.randrange(_ISSUERS), rng.randrange(_TOPICS)
        body = [self._sentences(rng, topic, rng.randint(2, 5)) for _ in range(rng.randint(4, 12))]
        title = "关于" + "".join(self.words[rng.choice(self.topics[topic])] for _ in range(4)) + "的通知"
        return [title, self.openings[issuer], *body, self.closings[issuer]]

    def items(self, n: int) -> Iterator[Item]:
        """N documents in arrival order; a repost always follows its original."""
        rng = random.Random(self.seed)
        originals: list[int] = []
        for i in range(n):
            if originals and rng.random() < self.repost_share:
                source = rng.choice(originals)
                yield Item(i, _repost(rng, self.original(source)), source)
            else:
                originals.append(i)
                yield Item(i, "\n".join(self.original(i)), i)


def _repost(rng: random.Random, paragraphs: list[str]) -> str:
    """A copy as another site shows it: its chrome, and perhaps reordered, trimmed or traditional."""
    top, bottom = rng.choice(_CHROME)
    fill = {
        "site": rng.choice(_SITES),
        "editor": rng.choice(_CJK) + rng.choice(_CJK),
        "m": rng.randint(1, 9),
        "d": rng.randint(0, 9),
    }
    body = list(paragraphs)
    change = rng.choice(("chrome", "reorder", "trim", "traditional"))
    if change == "reorder" and len(body) > 4:
        j = rng.randrange(2, len(body) - 2)
        body[j], body[j + 1] = body[j + 1], body[j]
    elif change == "trim":  # the first paragraph of the body missing (the title, if the body is short)
        body = body[:2] + body[3:] if len(body) >= 8 else body[1:]
    text = "\n".join([top.format(**fill), *body, bottom.format(**fill)])
    if change == "traditional":
        return normalize_text(_s2t(text))
    return text


_S2T = None


def _s2t(text: str) -> str:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return str(_S2T.convert(text))


@dataclass(slots=True)
class Score:
    """Duplicate detection against the known truth, and the time spent on it."""

    true_dups: int = 0
    said_dup: int = 0
    right: int = 0
    seconds: float = 0.0
    docs: int = 0
    truth: dict[int, int] = field(default_factory=dict)  # item -> the original it copies (itself if original)

    def record(self, item: Item, matched: int | None) -> None:
        """Count one verdict: matched is the item taken as the document this one copies."""
        self.docs += 1
        self.true_dups += item.original != item.index
        self.truth[item.index] = item.original
        if matched is not None:
            self.said_dup += 1
            self.right += self.truth[matched] == item.original

    @property
    def precision(self) -> float:
        """Share of the duplicates found that copy the same original as the document they were matched to."""
        return self.right / self.said_dup if self.said_dup else 1.0

    @property
    def recall(self) -> float:
        """Share of the true copies found as copies of their original (or of another copy of it)."""
        return self.right / self.true_dups if self.true_dups else 1.0

    @property
    def rate(self) -> float:
        """Documents per second of the timed step."""
        return self.docs / self.seconds if self.seconds else 0.0


def run_ours(items: list[Item], index: DedupIndex) -> tuple[list[int | None], float]:
    """Our path: content hash, one-permutation MinHash, LSH query, insert when new; verdicts and seconds."""
    start = time.perf_counter()
    verdicts: list[int | None] = []
    for item in items:
        digest, signature = fingerprint(item.text)
        match = index.match(url=None, content_hash=digest, minhash=signature)
        if match.kind == "new":
            index.add(str(item.index), digest, signature)
            verdicts.append(None)
        else:
            verdicts.append(int(match.doc_id))
    return verdicts, time.perf_counter() - start


class DatasketchPath:
    """datasketch's MinHash (128 permutations, shared) and MinHashLSH, with the same verify-best rule."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHash, MinHashLSH

        self.minhash_class = MinHash
        self.permutations = MinHash(num_perm=128, seed=1).permutations
        self.lsh = MinHashLSH(threshold=threshold, num_perm=128)
        self.signatures: dict[str, object] = {}
        self.threshold = threshold

    def run(self, items: list[Item], score: Score) -> None:
        """Fingerprint, query, verify the best candidate, insert when new; timed."""
        start = time.perf_counter()
        verdicts = [self._one(item) for item in items]
        score.seconds += time.perf_counter() - start
        for item, matched in zip(items, verdicts, strict=True):
            score.record(item, matched)

    def _one(self, item: Item) -> int | None:
        folded = fold_for_hash(item.text)
        m = self.minhash_class(num_perm=128, seed=1, permutations=self.permutations, scheme="affine32")
        m.update_batch([folded[i : i + 5].encode("utf-8") for i in range(max(1, len(folded) - 4))])
        best, best_key = 0.0, None
        for key in self.lsh.query(m):
            score = m.jaccard(self.signatures[key])  # type: ignore[attr-defined]
            if score > best or (score == best and best_key is not None and key < best_key):
                best, best_key = score, key
        if best_key is not None and best >= self.threshold:
            return int(best_key)
        key = str(item.index)
        self.lsh.insert(key, m)
        self.signatures[key] = m
        return None


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@bench_app.command("dedup")
def bench_dedup(
    synthetic: Annotated[int, typer.Option(help="Number of synthetic documents.")] = 10000,
    peer_sample: Annotated[int, typer.Option(help="datasketch runs on the first N documents only.")] = 10000,
    reposts: Annotated[float, typer.Option(help="Share of documents that are reposts.")] = 0.3,
    threshold: Annotated[float, typer.Option(help="Jaccard threshold of a near duplicate.")] = 0.8,
    seed: Annotated[int, typer.Option(help="Corpus seed.")] = 7,
) -> None:
    """Precision, recall and documents/s of near-duplicate detection: ours vs datasketch MinHashLSH."""
    corpus = Corpus(seed=seed, repost_share=reposts)
    index, ours, ours_sample = DedupIndex(threshold=threshold), Score(), Score()
    sample: list[Item] = []
    chunk: list[Item] = []
    with _console().status("our path") as status:
        for item in corpus.items(synthetic):
            chunk.append(item)
            if item.index < peer_sample:
                sample.append(item)
            if len(chunk) == 2000:
                _ours_chunk(chunk, index, ours, ours_sample, peer_sample)
                status.update(f"our path: {item.index + 1}/{synthetic}")
                chunk = []
        _ours_chunk(chunk, index, ours, ours_sample, peer_sample)
    ours_rss = _peak_rss_mb()
    peer = Score()
    with _console().status(f"datasketch on the first {len(sample)} documents"):
        DatasketchPath(threshold).run(sample, peer)
    _report(synthetic, len(sample), ours, ours_sample, peer, ours_rss, _sizes(sample))


def _ours_chunk(chunk: list[Item], index: DedupIndex, ours: Score, sample: Score, limit: int) -> None:
    """Run a chunk; the documents datasketch also sees are scored again with their share of the time."""
    verdicts, seconds = run_ours(chunk, index)
    ours.seconds += seconds
    head = sum(item.index < limit for item in chunk)
    sample.seconds += seconds * head / len(chunk) if chunk else 0.0
    for item, matched in zip(chunk, verdicts, strict=True):
        ours.record(item, matched)
        if item.index < limit:
            sample.record(item, matched)


def _sizes(sample: list[Item]) -> str:
    sizes = np.array([len(i.text.encode("utf-8")) for i in sample])
    return f"{sizes.min() / 1024:.1f}–{sizes.max() / 1024:.1f} KB (median {np.median(sizes) / 1024:.1f} KB)"


def _report(n: int, m: int, ours: Score, ours_sample: Score, peer: Score, ours_rss: float, sizes: str) -> None:
    table = Table(title=f"bench dedup: {n} synthetic documents ({sizes}); datasketch on the first {m}")
    for column in ("path", "documents", "true copies", "precision", "recall", "documents/s"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, s in (
        ("policywatch (all)", ours),
        ("policywatch (first sample)", ours_sample),
        ("datasketch MinHashLSH (first sample)", peer),
    ):
        table.add_row(name, str(s.docs), str(s.true_dups), f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.rate:,.0f}")
    _console().print(table)
    speedup = ours.rate / peer.rate if peer.rate else float("inf")
    _console().print(
        f"speed: {speedup:.1f}× datasketch (documents/s, ours over all {n} vs datasketch over {m}); "
        f"peak RSS {ours_rss:,.0f} MB after our path, {_peak_rss_mb():,.0f} MB after datasketch"
    )
    _console().print(f"LSH: {BANDS} bands of {ROWS} rows over 128 one-permutation MinHash values")


def _console() -> Console:
    """Standard output, as the terminal (and COLUMNS) of this run has it."""
    return Console()
