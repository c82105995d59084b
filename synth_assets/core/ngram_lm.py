"""The embedded student: an interpolated Kneser-Ney trigram language model (Chen & Goodman, 1998).

Why our own and not nltk.lm: nltk's KneserNeyInterpolated scores a few thousand tokens per second
and returns zero probability (infinite perplexity) for unseen contexts; this one trains on a round's
mix in milliseconds, always gives a proper distribution, and serialises to JSON.

The vocabulary is fixed by the caller (all human text plus `<unk>`), identical for every round, so
perplexities across rounds are comparable and losing the tail of the distribution shows up as lost
probability mass on rare words rather than as a smaller vocabulary.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
_CDF_CACHE = 2_048  # contexts kept: at most 2,048 x vocabulary x 8 bytes
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def build_vocab(texts: Iterable[str]) -> list[str]:
    return sorted({t for text in texts for t in tokenize(text)} | {EOS, UNK})


class KneserNeyLM:
    order = 3

    def __init__(self, vocab: list[str], discount: float = 0.75) -> None:
        if EOS not in vocab or UNK not in vocab:
            raise ValueError("vocabulary must contain </s> and <unk>")
        self.vocab = list(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.discount = discount
        self.trigrams: Counter[tuple[str, str, str]] = Counter()

    # --- training -------------------------------------------------------------------------
    def fit(self, texts: Iterable[str], weights: Iterable[float] | None = None) -> KneserNeyLM:
        """`weights`: each text's trigrams count that much (a weighted mix); the lower orders'
        continuation counts are counts of distinct contexts and do not take weights."""
        texts = list(texts)
        weights = None if weights is None else [float(w) for w in weights]
        for i, text in enumerate(texts):
            seq = [BOS, BOS, *(t if t in self.index else UNK for t in tokenize(text)), EOS]
            grams = zip(seq, seq[1:], seq[2:], strict=False)
            if weights is None or weights[i] == 1.0:
                self.trigrams.update(grams)
            else:
                for trigram in grams:
                    self.trigrams[trigram] += weights[i]
        self._derive()
        return self

    def _derive(self) -> None:
        """Counts and continuation counts for the three interpolated orders."""
        self.__dict__.pop("_cdfs", None)  # sampling's cached distributions belong to the old counts
        self.ctx3: Counter[tuple[str, str]] = Counter()
        self.next3: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        left2: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (u, v, w), c in self.trigrams.items():
            self.ctx3[(u, v)] += c
            self.next3[(u, v)][w] = c
            left2[(v, w)].add(u)
        self.cont2 = {vw: len(us) for vw, us in left2.items()}  # N1+(. v w)
        self.ctx2: Counter[str] = Counter()
        self.next2: dict[str, dict[str, int]] = defaultdict(dict)
        left1: dict[str, set[str]] = defaultdict(set)
        for (v, w), c in self.cont2.items():
            self.ctx2[v] += c
            self.next2[v][w] = c
            left1[w].add(v)
        self.cont1 = np.zeros(len(self.vocab))
        for w, vs in left1.items():
            self.cont1[self.index[w]] = len(vs)
        total = self.cont1.sum()
        d = self.discount
        uniform = 1.0 / len(self.vocab)
        if total == 0:
            self.p1 = np.full(len(self.vocab), uniform)
        else:
            self.p1 = np.maximum(self.cont1 - d, 0) / total + d * np.count_nonzero(self.cont1) / total * uniform

    # --- probabilities --------------------------------------------------------------------
    def _p2(self, w: int, v: str) -> float:
        base = float(self.p1[w])
        n = self.ctx2.get(v, 0)
        if not n:
            return base
        followers = self.next2[v]
        c = followers.get(self.vocab[w], 0)
        return max(c - self.discount, 0) / n + self.discount * len(followers) / n * base

    def prob(self, word: str, u: str, v: str) -> float:
        w = self.index.get(word, self.index[UNK])
        lower = self._p2(w, v)
        n = self.ctx3.get((u, v), 0)
        if not n:
            return lower
        followers = self.next3[(u, v)]
        c = followers.get(self.vocab[w], 0)
        return max(c - self.discount, 0) / n + self.discount * len(followers) / n * lower

    def distribution(self, u: str, v: str) -> np.ndarray:
        """P(. | u v) over the whole vocabulary, vectorised (for sampling)."""
        d = self.discount
        p = self.p1.copy()
        n2 = self.ctx2.get(v, 0)
        if n2:
            followers = self.next2[v]
            p *= d * len(followers) / n2
            for w, c in followers.items():
                p[self.index[w]] += max(c - d, 0) / n2
        n3 = self.ctx3.get((u, v), 0)
        if n3:
            followers3 = self.next3[(u, v)]
            p *= d * len(followers3) / n3
            for w, c in followers3.items():
                p[self.index[w]] += max(c - d, 0) / n3
        return p

    def log_prob(self, text: str) -> tuple[float, int]:
        """Natural-log probability of a text (with its end token) and the number of tokens scored."""
        seq = [BOS, BOS, *tokenize(text), EOS]
        total = sum(math.log(self.prob(w, u, v)) for u, v, w in zip(seq, seq[1:], seq[2:], strict=False))
        return total, len(seq) - 2

    def perplexity(self, texts: Iterable[str]) -> float:
        log_sum, count = 0.0, 0
        for text in texts:
            lp, n = self.log_prob(text)
            log_sum += lp
            count += n
        return math.exp(-log_sum / count) if count else float("nan")

    # --- generation -----------------------------------------------------------------------
    def _cdf(self, u: str, v: str) -> np.ndarray:
        """Cumulative P(. | u v) without `<unk>`, per context, kept for the model's life (a round
        samples the same contexts thousands of times; the model does not change after `fit`)."""
        cache: dict[tuple[str, str], np.ndarray] = self.__dict__.setdefault("_cdfs", {})
        cdf = cache.get((u, v))
        if cdf is None:
            p = self.distribution(u, v)
            p[self.index[UNK]] = 0.0
            cdf = np.cumsum(p / p.sum())
            cdf /= cdf[-1]
            if len(cache) >= _CDF_CACHE:
                cache.clear()
            cache[(u, v)] = cdf
        return cdf

    def sample(self, rng: np.random.Generator, max_tokens: int = 60, prefix: str = "") -> str:
        """Ancestral sampling from <s> <s> (+ optional prefix); `<unk>` is never emitted."""
        history = [BOS, BOS, *tokenize(prefix)]
        out: list[str] = []
        for _ in range(max_tokens):
            # what rng.choice(p=...) does, with the context's cumulative distribution kept: the same draws
            word = self.vocab[int(self._cdf(history[-2], history[-1]).searchsorted(rng.random(), side="right"))]
            if word == EOS:
                break
            out.append(word)
            history.append(word)
        return " ".join(out)

    # --- persistence ----------------------------------------------------------------------
    def to_json(self) -> str:
        rows = [[u, v, w, c] for (u, v, w), c in sorted(self.trigrams.items())]
        return json.dumps(
            {
                "kind": "kneser-ney",
                "order": self.order,
                "discount": self.discount,
                "vocab": self.vocab,
                "trigrams": rows,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> KneserNeyLM:
        data = json.loads(text)
        model = cls(data["vocab"], data["discount"])
        model.trigrams = Counter({(u, v, w): c for u, v, w, c in data["trigrams"]})
        model._derive()
        return model

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> KneserNeyLM:
        return cls.from_json(path.read_text(encoding="utf-8"))
