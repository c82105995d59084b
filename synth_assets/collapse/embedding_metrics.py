"""Collapse in representation space: diversity, distance to human text, and the tails.

Rows are L2-normalised embeddings (see `synth_assets.embed`). Each metric compares equal-size
seeded samples, so rounds of different sizes compare:
- Vendi score (Friedman and Dieng, 2023): the effective number of distinct items, exp of the
  entropy of the similarity matrix's eigenvalues (the `vendi-score` package; its dual form, d x d);
- Fréchet distance between Gaussian fits of two sets, as FID does for images;
- precision and recall with k-NN manifolds (Kynkäänniemi et al., 2019): precision is the share of
  generated rows inside the human manifold, recall the share of human rows inside the generated
  one; falling recall is the lost tail the collapse papers describe;
- coverage (Naeem et al., 2020): the share of human rows whose own k-NN ball holds a generated
  row; the rows it misses are the tail.

Vectors are centred on the human data's mean and re-normalised before any of these: mean-pooled
word embeddings share a large common component (Arora et al., 2017), which otherwise puts every
text near every other and hides the differences these metrics look for. The same human mean is
used in every round, so rounds compare.
"""

from __future__ import annotations

import numpy as np

from synth_assets.embed.models import unit_rows

SAMPLE = 1_000
K = 3
_CHUNK = 1_024


def sample_indices(n: int, size: int, seed: int = 0) -> np.ndarray:
    """A seeded sample of `size` of `n` positions, in order (all of them when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def sample_rows(matrix: np.ndarray, size: int = SAMPLE, seed: int = 0) -> np.ndarray:
    return matrix if len(matrix) <= size else matrix[sample_indices(len(matrix), size, seed)]


def vendi(x: np.ndarray) -> float:
    if len(x) < 2:
        return float("nan")
    from vendi_score.vendi import score_dual

    return float(score_dual(np.asarray(x, dtype=np.float64), normalize=True))


def frechet(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2 or len(y) < 2:
        return float("nan")
    from scipy import linalg  # here: scipy costs the code location's start-up ~0.2 s

    mu_x, mu_y = x.mean(axis=0), y.mean(axis=0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = linalg.sqrtm(cov_x @ cov_y)
    trace = np.trace(cov_x + cov_y - 2 * np.real(root))
    return float(max(0.0, ((mu_x - mu_y) ** 2).sum() + trace))


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between unit rows: sqrt(2 - 2 cos), in blocks of rows of `a`."""
    out = np.empty((len(a), len(b)), dtype=np.float32)
    for start in range(0, len(a), _CHUNK):
        cos = a[start : start + _CHUNK] @ b.T
        out[start : start + _CHUNK] = np.sqrt(np.clip(2.0 - 2.0 * cos, 0.0, None))
    return out


def _knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row of the same set."""
    d = _distances(x, x)
    np.fill_diagonal(d, np.inf)
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def manifold_members(real: np.ndarray, generated: np.ndarray, k: int = K) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row: each generated row inside the real k-NN manifold (precision's count), each real
    row inside the generated one (recall's); None when a set is too small for k neighbours."""
    if len(real) <= k or len(generated) <= k:
        return None
    cross = _distances(generated, real)  # generated x real
    return (cross <= _knn_radii(real, k)[None, :]).any(axis=1), (cross <= _knn_radii(generated, k)[:, None]).any(axis=0)


def covered_rows(real: np.ndarray, generated: np.ndarray, k: int = K) -> np.ndarray | None:
    """Per real row: its own k-NN ball holds a generated row."""
    if len(real) <= k or len(generated) == 0:
        return None
    nearest = _distances(real, generated).min(axis=1)
    return nearest <= _knn_radii(real, k)


def centred(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Unit rows about `mean`; no rows (a round whose mix holds none) stay no rows of that width."""
    if len(x) == 0:
        return np.zeros((0, len(mean)), dtype=np.float32)
    return unit_rows(np.asarray(x, dtype=np.float32) - mean)


def equal_size(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both sets cut to the same number of rows: k-NN radii shrink as a set grows, so unequal
    sets would favour the larger one."""
    n = min(len(a), len(b), SAMPLE)
    return sample_rows(a, n, seed), sample_rows(b, n, seed + 1)
