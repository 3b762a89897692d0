"""Sparse TF-IDF cosines over features of three kinds (pure Python).

Features: character 2/3-grams (and single kanji) of the normalised surface, character bigrams
of the reading, and Sudachi content words with their pairs, synonym groups and what the
question asks for. The engine finds candidate documents through the rare features' posting
lists (C-level counting), then computes exact cosines for those candidates only, so a question
costs a millisecond or two with thousands of documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, repeat
from operator import add, mul
from typing import Any, cast

from faq.normalize import Analysis

__all__ = [
    "FEATURES",
    "GRAMS",
    "Field",
    "TfidfIndex",
    "reading_ngrams",
    "surface_ngrams",
    "term_features",
]

_KANJI_RE = re.compile(r"[\u3005\u4e00-\u9fff]")

Features = Counter[str]


def _ngrams(text: str, sizes: tuple[int, ...]) -> Iterator[str]:
    """Character n-grams of ``text``, not across spaces (words listed side by side, as tags are;
    unspaced text takes the faster paths in the featurizers)."""
    return (
        gram
        for n in sizes
        for i in range(len(text) - n + 1)
        if " " not in (gram := text[i : i + n])
    )


def _bigrams(text: str) -> list[str]:
    """The character bigrams of ``text`` in order, made in C (``text[i] + text[i + 1]``)."""
    return list(map(add, text, text[1:]))


# Each kind's featurizer comes in two forms: the list of a text's features, repeats included
# (GRAMS), and their counts (FEATURES). An entry's counts are those of its phrasings' lists
# chained, counted in one go (in C).


def surface_grams(a: Analysis) -> list[str]:
    """Character 2- and 3-grams of the normalised surface, plus single kanji (紙, 市, 県)."""
    text = a.surface
    if " " in text:  # tags: no n-gram across two words
        return [*_ngrams(text, (2, 3)), *_KANJI_RE.findall(text)]
    # All bigrams, then all trigrams (each a bigram and the next character), then the kanji.
    bigrams = _bigrams(text)
    return [*bigrams, *map(add, bigrams, text[2:]), *_KANJI_RE.findall(text)]


def surface_ngrams(a: Analysis) -> Features:
    return Counter(surface_grams(a))


_KATAKANA = str.maketrans({c: c + 0x60 for c in range(ord("ぁ"), ord("ゖ") + 1)})


def reading_grams(a: Analysis) -> list[str]:
    """Character bigrams of the reading (homophone typos meet: 保障/保証), written in katakana
    so they never collide with the surface's hiragana n-grams. (Trigrams added nothing on
    the dev split and cost a third of the time.)"""
    text = a.reading.translate(_KATAKANA)
    return list(_ngrams(text, (2,))) if " " in text else _bigrams(text)


def reading_ngrams(a: Analysis) -> Features:
    return Counter(reading_grams(a))


def term_grams(a: Analysis) -> list[str]:
    """Sudachi content words (normalized forms), adjacent pairs of them, the dictionary's
    synonym groups (@831: 利点 = メリット) and what the question asks for (?what, ?where, …);
    prefixed so they never collide with n-grams."""
    words = list(map("#".__add__, a.terms))  # "#" + each term
    return [
        *words,
        *map(add, words, map("|".__add__, a.terms[1:])),  # "#x" + "|y"
        *map("?".__add__, a.asks),
        *map("@".__add__, map(str, a.groups)),
    ]


def term_features(a: Analysis) -> Features:
    return Counter(term_grams(a))


GRAMS: dict[str, Callable[[Analysis], list[str]]] = {
    "surface": surface_grams,
    "reading": reading_grams,
    "terms": term_grams,
}
FEATURES: dict[str, Callable[[Analysis], Features]] = {
    "surface": surface_ngrams,
    "reading": reading_ngrams,
    "terms": term_features,
}


class TfidfIndex:
    """TF-IDF vectors (log tf, smoothed idf, unit length) of documents, for cosines.

    Features a query has and no document has keep the largest IDF in the query's norm, so an
    off-topic question (天気, ランチ) scores low instead of matching on its one common word.
    The index is the posting lists and the IDF; a document's vector is made when asked for
    (:meth:`weights`).
    """

    def __init__(self, docs: Sequence[Features]) -> None:
        n = len(docs)
        # The plain double loop: counting the document frequencies in C first spares none of
        # the lists, and deriving an entry's lists from its phrasings' was measured slower.
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for g in doc:
                postings[g].append(i)
        log, top = math.log, n + 1
        # The idf of each document frequency and the tf factor of each count (up to the largest
        # in a document), computed once (not once a feature).
        idf_of_df = [log(top / (df + 1)) + 1.0 for df in range(n + 1)]
        dfs = map(len, postings.values())
        self._idf = dict(zip(postings, map(idf_of_df.__getitem__, dfs), strict=True))
        self._oov_idf = log(top) + 1.0
        most = max(map(max, map(dict.values, filter(None, docs))), default=1)
        self._tf_factor = [1.0 + log(tf) if tf else 0.0 for tf in range(most + 1)]
        self.postings = dict(postings)
        self.size = n

    def weights(self, features: Features) -> Iterator[tuple[str, float]]:
        """The features of an indexed document, in order, with their weights in its unit
        vector."""
        if sum(features.values()) == len(features):  # every count is 1
            values = list(map(self._idf.__getitem__, features))
        else:  # (1 + log tf) * idf
            factors = map(self._tf_factor.__getitem__, features.values())
            values = list(map(mul, factors, map(self._idf.__getitem__, features)))
        inverse = 1.0 / (math.hypot(*values) or 1.0)
        return zip(features, map(mul, values, repeat(inverse)), strict=True)

    def vector(self, features: Features) -> dict[str, float]:
        """The query's unit vector (unknown features included in the norm)."""
        idf, oov = self._idf, self._oov_idf
        weights = {
            g: (1.0 if tf == 1 else 1.0 + math.log(tf)) * idf.get(g, oov)
            for g, tf in features.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return {}
        return {g: w / norm for g, w in weights.items() if g in idf}

    def hits(self, query: dict[str, float], rare: int) -> Iterable[int]:
        """Documents sharing a rare feature (in at most ``rare`` documents) with the query,
        once per shared feature; all sharing documents when no feature is rare. Features of
        other kinds in ``query`` are ignored."""
        postings = self.postings
        lists = [postings[g] for g in query if g in postings]
        return chain.from_iterable([p for p in lists if len(p) <= rare] or lists)


class Field:
    """Feature kinds over the same documents (a phrasing, an entry, an answer), merged.

    Each kind has its own TF-IDF vectors. A document's unit vectors are merged as they are and
    the question's are scaled by each kind's share of the weights, so one dot product gives the
    weighted mean of the kinds' cosines (0..1). The kinds' features never collide (see the
    featurizers).

    A document's merged vector is made the first time it is scored (a question scores a few
    dozen documents), or by :meth:`fill`; the documents' features are kept until then.
    """

    def __init__(
        self, weights: Sequence[tuple[str, float]], features: Mapping[str, Sequence[Features]]
    ) -> None:
        used = [(name, w) for name, w in weights if w > 0]
        total = sum(w for _n, w in used) or 1.0
        self.size = len(features[used[0][0]]) if used else 0
        self.kinds: list[tuple[str, float, TfidfIndex]] = [
            (name, w / total, TfidfIndex(features[name])) for name, w in used
        ]
        self.vectors: list[dict[str, float] | None] = [None] * self.size
        self._features = [features[name] for name, _w in used]  # by kind, as self.kinds

    def query(
        self, analysis: Analysis, features: dict[str, Features] | None = None
    ) -> dict[str, float]:
        """The question's merged vector; ``features`` are the question's features by kind
        when already computed (the phrasing and entry fields share them)."""
        merged: dict[str, float] = {}
        for name, share, index in self.kinds:
            found = features.get(name) if features is not None else None
            if found is None:
                found = FEATURES[name](analysis)
                if features is not None:
                    features[name] = found
            merged.update({g: share * v for g, v in index.vector(found).items()})
        return merged

    def hits(self, query: dict[str, float], rare: int) -> Iterable[int]:
        """Documents sharing rare features with the question (see TfidfIndex.hits)."""
        return chain.from_iterable(index.hits(query, rare) for _f, _s, index in self.kinds)

    def score(self, query: dict[str, float], doc: int) -> float:
        vector = self.vectors[doc]
        if vector is None:  # two threads would make the same vector: no lock needed
            vector = self.vectors[doc] = self._vector(doc)
        if len(vector) < len(query):
            get = query.get
            return sum([w * q for g, w in vector.items() if (q := get(g)) is not None])
        get = vector.get
        return sum([w * d for g, w in query.items() if (d := get(g)) is not None])

    def __getstate__(self) -> dict[str, Any]:
        """A field is saved (faq.cache) with every vector made: they load faster than the
        features they are made of, and questions after the load find them made."""
        self.fill()
        return self.__dict__

    def fill(self) -> None:
        """Make every document's vector now, and let go of the features they are made of."""
        self.vectors = [v if v is not None else self._vector(i) for i, v in enumerate(self.vectors)]
        self._features = []

    def _vector(self, doc: int) -> dict[str, float]:
        """Document ``doc``'s unit vectors of every kind, in one dict: a copy of the first
        kind's counts, overwritten (faster than adding the keys one by one), then the others'."""
        vector: dict[str, float] = {}
        for (_name, _share, index), docs in zip(self.kinds, self._features, strict=True):
            if not vector:
                vector = cast("dict[str, float]", dict(docs[doc]))
            vector.update(index.weights(docs[doc]))
        return vector
