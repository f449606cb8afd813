"""Family ``hashed_ngrams``: hashed word and character n-grams of shipped text (sparse, d >> n).

Rows are n text units of the public-domain English text in ``texts/`` (every ``*.txt``
file, in name order; sources and licences in texts/README.md): its sentences
(``unit="sentence"``: 720) or its consecutive windows of k whitespace-separated words
(``unit=k``: floor(17 858 / k), e.g. 4464 windows of 4 words), n of them chosen with the spec's seed and kept
in text order (at n = all units the seed changes nothing).  Columns are d = 2^p hash
buckets of scikit-learn's ``HashingVectorizer`` (signed feature hashing, Weinberger et
al. 2009, MurmurHash3): word n-grams of 1..``words`` words and character n-grams of
3..``chars`` characters inside word boundaries (``char_wb``), lower-cased; 0 turns an
analyzer off.  Word and character n-grams are hashed in separate namespaces (a prefix),
each analyzer's part of a row is scaled to unit l2 norm, and a row is the sum of its
parts over sqrt(number of analyzers), so each analyzer carries half of the energy.

Density is what the text gives, not a parameter: a unit has tens to hundreds of
distinct n-grams, so nnz(X) ~ n * 10^2 whatever d is, and density ~ 10^2 / d (the
shipped text at d = 2^20 with the defaults: 255 nonzeros per sentence, density 2.4e-4; 48 per window
of 4 words).  Stresses what the
``sparse`` family cannot: real Zipfian feature frequencies (a few buckets, such as the
word 'the' or the trigram ' th', are shared by most rows, so sum_i nnz(X_i)^2 is far
above nnz(X)^2 / d) and real overlap between rows, in the paper's regime d >> n.

Cost O(characters of the units * chars) to analyse and O(nnz(X)) memory: no n x d array.
"""

from __future__ import annotations

import functools
import re
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from attnbench.datasets import _texts
from attnbench.datasets.registry import Family, Param, register_family

MAX_LOG2_D = 30  # HashingVectorizer stores int32 column indices
CHAR_MIN = 3  # shorter character n-grams (letters, letter pairs) are in nearly every row
MAX_WORDS, MAX_CHARS = 5, 8
# A sentence ends at . ! or ? (and one closing quote or bracket) before a capital; the
# titles Mr., Mrs. and Dr. do not end one.
SENTENCE_END = re.compile(
    r"(?:(?<!\bMr\.)(?<!\bMrs\.)(?<!\bDr\.)(?<=[.!?])|(?<=[.!?][\"')]))\s+(?=[\"'(]?[A-Z])")
# Bytes per n-gram counted by estimate_bytes, for the size guard: the peak of generation
# measured with tracemalloc is about 37 bytes per stored nonzero (FeatureHasher's index
# and value arrays, the CSR sum of the parts), and an n-gram counted here yields at most
# one nonzero.
BYTES_PER_NGRAM = 64


@functools.cache
def units(unit):
    """The text units, in text order: sentences, or windows of ``unit`` words."""
    paragraphs = [p for name in _texts.text_files() for p in _texts.paragraphs(name)]
    if unit == "sentence":
        return tuple(s for p in paragraphs for s in SENTENCE_END.split(p) if s.strip())
    words = [word for p in paragraphs for word in p.split()]
    return tuple(" ".join(words[start:start + unit])
                 for start in range(0, len(words) - unit + 1, unit))


def _namespaced(analyzer, prefix):
    return lambda text: [prefix + gram for gram in analyzer(text)]


def _analyzers(words, chars):
    """(namespace prefix, HashingVectorizer analyzer, n-gram range) of each one that is on."""
    found = []
    if words:
        found.append(("w ", "word", (1, words)))
    if chars:
        found.append(("c ", "char_wb", (CHAR_MIN, chars)))
    return found


def hashed_features(texts, d, words, chars):
    """CSR X (len(texts) x d, float64): the hashed n-grams of each text, see the module."""
    # Imported here: importing scikit-learn takes seconds, which `import
    # attnbench.datasets` should not pay for the families that do not use it.
    from sklearn.feature_extraction.text import HashingVectorizer

    parts = []
    for prefix, analyzer, ngram_range in _analyzers(words, chars):
        grams = HashingVectorizer(analyzer=analyzer, ngram_range=ngram_range).build_analyzer()
        hasher = HashingVectorizer(n_features=d, analyzer=_namespaced(grams, prefix),
                                   alternate_sign=True, norm="l2", dtype=np.float64)
        parts.append(hasher.transform(texts))
    X = sp.csr_matrix(sum(parts[1:], parts[0]) / np.sqrt(len(parts)))
    X.eliminate_zeros()  # buckets whose signed n-grams cancel exactly
    X.sort_indices()
    return X


def _word_orders(v):
    return 0 <= v <= MAX_WORDS


def _char_orders(v):
    return v == 0 or CHAR_MIN <= v <= MAX_CHARS


@register_family("hashed_ngrams")
class HashedNgrams(Family):
    summary = ("real sparse text: hashed word and character n-grams of shipped public-domain "
               "English, d = 2^p >> n")
    sparse = True
    params: ClassVar[dict[str, Param]] = {
        "unit": Param("sentence", "rows: 'sentence', or k (windows of k words)", (str, int),
                      lambda v: v == "sentence" or (isinstance(v, int) and v >= 1),
                      "'sentence' or >= 1"),
        "words": Param(2, "word n-grams of 1..words words (0: none)", (int,), _word_orders,
                       f"in 0..{MAX_WORDS}"),
        "chars": Param(5, f"character n-grams of {CHAR_MIN}..chars characters (0: none)", (int,),
                       _char_orders, f"0 or in {CHAR_MIN}..{MAX_CHARS}"),
    }

    def check(self, spec):
        if spec.density != 1.0:
            raise ValueError(
                f"density: family {self.name!r} has the density that its text gives (stored in "
                f"the statistics as nnz); leave density=1.0, got {spec.density!r}."
            )
        if spec.d & (spec.d - 1) or spec.d > 2**MAX_LOG2_D:
            raise ValueError(
                f"d: {self.name} hashes into d = 2^p buckets (a power of two spreads the hash "
                f"evenly), 1 <= d <= 2^{MAX_LOG2_D}, got {spec.d}."
            )
        p = spec.param_dict
        if p["words"] == 0 and p["chars"] == 0:
            raise ValueError("params: words=0 and chars=0 leave no features; set words >= 1 or "
                             f"chars >= {CHAR_MIN}.")
        available = len(units(p["unit"]))
        if spec.n > available:
            kind = "sentences" if p["unit"] == "sentence" else f"windows of {p['unit']} words"
            raise ValueError(
                f"n: the shipped text has {available} {kind}, so {self.name} with "
                f"unit={p['unit']!r} takes n <= {available}, got {spec.n}."
            )

    def generate(self, spec, rng):
        p = spec.param_dict
        texts = units(p["unit"])
        chosen = np.sort(rng.choice(len(texts), size=spec.n, replace=False))
        return hashed_features([texts[i] for i in chosen], spec.d, p["words"], p["chars"])

    def estimate_bytes(self, spec):
        # n-grams of the n longest units, an upper bound whichever units the seed takes.
        p = spec.param_dict
        char_lengths = p["chars"] - CHAR_MIN + 1 if p["chars"] else 0
        per_unit = sorted((p["words"] * len(text.split()) + char_lengths * (len(text) + 2)
                           for text in units(p["unit"])), reverse=True)
        return BYTES_PER_NGRAM * sum(per_unit[:spec.n])
