"""Sparse TF-IDF cosines over features of three kinds, on numpy arrays.

Features: character 2/3-grams (and single kanji) of the normalised surface, character bigrams
of the reading, and Sudachi content words with their pairs, synonym groups and what the
question asks for. Every feature is a 64-bit key: an n-gram packs its characters' code points
(21 bits each), a word is numbered by a :class:`Terms` list. So a build is a few sorts over
arrays of (feature, document) occurrences (only the words are numbered one by one in Python),
and a question scores every document in one pass over the posting lists of its features.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Sized
from operator import add

import numpy as np
import numpy.typing as npt

from faq.normalize import Analysis

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Occurrences = tuple[Ints, Ints]  # each feature occurrence's key and document, documents in order
Query = tuple[Ints, Ints]  # a question's distinct keys and their counts (an unknown word: -1)

_SPACE = ord(" ")
_BITS = 21  # every code point fits (U+10FFFF < 2**21); a trigram takes 63 bits


def _doc_numbers(docs: Sequence[Sized], extra: int = 0) -> Ints:
    """Each document's number, once for each of its items (and ``extra`` more times)."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs)) + extra
    return np.repeat(np.arange(len(docs), dtype=np.int64), lengths)


def _grams(texts: Sequence[str], longer: bool) -> Occurrences:
    """Character bigrams of each text, none across a space (tags are words side by side); with
    ``longer``, then its trigrams and single kanji."""
    joined = " ".join(texts) + " " if texts else ""  # each text followed by a space
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    docs = _doc_numbers(texts, extra=1)
    space = codes == _SPACE
    pair = ~(space[:-1] | space[1:])
    bigrams = (codes[:-1] << _BITS) | codes[1:]
    if not longer:
        return bigrams[pair], docs[:-1][pair]
    triple = pair[:-1] & ~space[2:]
    trigrams = (bigrams[:-1] << _BITS) | codes[2:]
    kanji = (codes == 0x3005) | ((codes >= 0x4E00) & (codes <= 0x9FFF))
    keys = np.concatenate([bigrams[pair], trigrams[triple], codes[kanji]])
    return keys, np.concatenate([docs[:-1][pair], docs[:-2][triple], docs[kanji]])


def surface_occurrences(texts: Sequence[str]) -> Occurrences:
    """Character 2- and 3-grams of each normalised surface, plus single kanji (紙, 市, 県)."""
    return _grams(texts, longer=True)


def reading_occurrences(texts: Sequence[str]) -> Occurrences:
    """Character bigrams of each reading (homophone typos meet: 保障/保証). (Trigrams added
    nothing on the dev split and cost a third of the time.)"""
    return _grams(texts, longer=False)


def term_grams(a: Analysis) -> list[str]:
    """Sudachi content words (normalized forms), adjacent pairs of them, the dictionary's
    synonym groups (@831: 利点 = メリット) and what the question asks for (?what, ?where, …)."""
    return [
        *a.terms,
        *map(add, a.terms, map("|".__add__, a.terms[1:])),  # "x" + "|y", made in C
        *map("?".__add__, a.asks),
        *map("@".__add__, map(str, a.groups)),
    ]


class Terms:
    """Numbers for the word features (:func:`term_grams`), given as the knowledge is indexed."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def occurrences(self, docs: Sequence[Analysis]) -> Occurrences:
        """The word features of ``docs``, numbered (new words get the next numbers)."""
        grams = [term_grams(a) for a in docs]
        number = self.ids.setdefault
        keys = [number(g, len(self.ids)) for said in grams for g in said]
        return np.array(keys, dtype=np.int64), _doc_numbers(grams)

    def query(self, a: Analysis) -> Query:
        """A question's word features and their counts; a word the knowledge never uses is -1
        (it counts in the question's norm only). Nothing is numbered: questions change nothing."""
        counts = Counter(term_grams(a))
        return _query([self.ids.get(g, -1) for g in counts], counts.values())


CHANNELS = ("surface", "reading", "terms")
_OF_TEXTS = {"surface": surface_occurrences, "reading": reading_occurrences}


def occurrences(name: str, docs: Sequence[Analysis], terms: Terms) -> Occurrences:
    """The feature occurrences of kind ``name`` in ``docs``."""
    if name == "terms":
        return terms.occurrences(docs)
    return _OF_TEXTS[name]([getattr(a, name) for a in docs])


def query_features(a: Analysis, terms: Terms) -> dict[str, Query]:
    """A question's features of every kind, as distinct keys (in the order they first occur:
    bigrams, trigrams, kanji, each from the start) and counts."""
    counts = {name: Counter(of([getattr(a, name)])[0].tolist()) for name, of in _OF_TEXTS.items()}
    return {name: _query(c, c.values()) for name, c in counts.items()} | {"terms": terms.query(a)}


def _query(keys: Iterable[int], counts: Iterable[int]) -> Query:
    return np.array(list(keys), dtype=np.int64), np.array(list(counts), dtype=np.int64)


def _tf(counts: Ints) -> Floats:
    return 1.0 + np.log(counts.astype(np.float64))


class Channel:
    """TF-IDF vectors (log tf, smoothed idf, unit length) of the documents for one kind of
    feature, kept as posting lists: the sorted keys, where each key's documents start, and the
    documents with their weights in their unit vectors.

    Features a question has and no document has keep the largest IDF in the question's norm, so
    an off-topic question (天気, ランチ) scores low instead of matching on its one common word.
    """

    def __init__(self, found: Occurrences, size: int) -> None:
        keys, docs = found
        order = np.lexsort((docs, keys))
        keys, docs = keys[order], docs[order]
        # One row per (key, document) pair, with its count; then one per key.
        pairs = np.flatnonzero((np.diff(keys, prepend=-1) != 0) | (np.diff(docs, prepend=-1) != 0))
        tf = np.diff(pairs, append=len(keys))
        keys, docs = keys[pairs], docs[pairs]
        starts = np.flatnonzero(np.diff(keys, prepend=-1))
        df = np.diff(starts, append=len(keys))
        self.size = size
        self.keys: Ints = keys[starts]
        self.starts: Ints = np.append(starts, len(keys))
        self.idf: Floats = np.log((size + 1) / (df + 1)) + 1.0
        self.oov_idf = float(np.log(size + 1) + 1.0)
        weights = _tf(tf) * np.repeat(self.idf, df)
        norms = np.sqrt(np.bincount(docs, weights=weights * weights, minlength=size))
        self.docs: Ints = docs
        self.weights: Floats = weights / norms[docs]

    def _rows(self, keys: Ints) -> tuple[Ints, npt.NDArray[np.bool_]]:
        """The row of each key, and whether the documents have it at all."""
        if not len(self.keys):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), dtype=bool)
        rows = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return rows, self.keys[rows] == keys

    def vector(self, query: Query) -> tuple[Ints, Floats]:
        """The question's unit vector: which keys (their rows) it shares with the documents and
        its weights there (unknown features count in the norm)."""
        keys, counts = query
        if not len(keys) or not len(self.keys):
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        rows, known = self._rows(keys)
        weights = _tf(counts) * np.where(known, self.idf[rows], self.oov_idf)
        norm = float(np.sqrt(np.dot(weights, weights)))
        return rows[known], weights[known] / norm

    def hits(self, keys: Ints, rare: int) -> Ints:
        """The documents of the rare ``keys`` (in at most ``rare`` documents; all ``keys`` when
        none is rare), key after key, each key's documents in order."""
        rows, known = self._rows(keys)
        rows = rows[known]
        rare_rows = rows[self.starts[rows + 1] - self.starts[rows] <= rare]
        return self.docs[self._postings(rare_rows if len(rare_rows) else rows)[0]]

    def _postings(self, rows: Ints) -> tuple[Ints, Ints]:
        """Where the postings of ``rows`` are, one row after the other (ragged ranges made in
        one ``arange``), and how many each row has."""
        starts = self.starts[rows]
        lengths = self.starts[rows + 1] - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return offsets + np.arange(int(lengths.sum())), lengths

    def scores(self, rows: Ints, weights: Floats) -> Floats:
        """Every document's cosine with the question's vector (see :meth:`vector`)."""
        at, lengths = self._postings(rows)
        weighted = self.weights[at] * np.repeat(weights, lengths)
        found = np.bincount(self.docs[at], weights=weighted, minlength=self.size)
        return found.astype(np.float64, copy=False)


class Field:
    """Feature kinds over the same documents (a phrasing, an entry, an answer), weighted: the
    score is the weighted mean of the kinds' cosines (0..1)."""

    def __init__(
        self, weights: Sequence[tuple[str, float]], found: Mapping[str, Occurrences], size: int
    ) -> None:
        used = [(name, w) for name, w in weights if w > 0]
        total = sum(w for _n, w in used) or 1.0
        self.size = size
        self.kinds = [(name, w / total, Channel(found[name], size)) for name, w in used]

    def hits(self, query: Mapping[str, Query], rare: int) -> tuple[Ints, Ints]:
        """How many rare features each document shares with the question over the kinds (see
        :meth:`Channel.hits`), and when it was first met going through them (the question's
        features in order, kind after kind; ``len`` of them all when never): candidates with
        as many shared features are taken in that order."""
        hits = [channel.hits(query[name][0], rare) for name, _share, channel in self.kinds]
        docs = np.concatenate([np.zeros(0, np.int64), *hits])
        first = np.full(self.size, len(docs), dtype=np.int64)
        met, at = np.unique(docs, return_index=True)
        first[met] = at
        return np.bincount(docs, minlength=self.size), first

    def scores(self, query: Mapping[str, Query]) -> Floats:
        """Every document's score for the question's features (see :func:`query_features`)."""
        kinds = (share * c.scores(*c.vector(query[name])) for name, share, c in self.kinds)
        return sum(kinds, np.zeros(self.size))
