"""The neural student: a small causal transformer trained from scratch on one round's mix.

Why a second student: Shumailov et al. (Nature 2024) measured collapse on neural language models;
a count model (the Kneser-Ney student) forgets the tail in its own way, a network that smooths
over contexts may forget it differently. Same vocabulary, tokenizer and interface as
`KneserNeyLM` (`log_prob`, `perplexity`, `sample`), so the collapse metrics and the generator
cannot tell which student they hold.

Why JAX and optax: see pyproject.toml (installed size and measured speed on the CPU). The network
is a GPT in a few functions over a dict of arrays, not a framework's module system: the whole
model is the code below, and its parameters save as one `.npz`.

Training stops early on a validation split of the mix (never the held-out human set, which the
metrics score): a mix of a few thousand tokens is learnt by heart in a few hundred steps, and the
best validation loss is what "trained on this round" means at every mix size.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from synth_assets.core.ngram_lm import EOS, UNK, tokenize

Progress = Callable[[int, int, float], None]  # step, steps at most, validation loss


@dataclass(frozen=True)
class NeuralConfig:
    width: int = 128
    layers: int = 2
    heads: int = 4
    context: int = 64
    batch: int = 16
    max_steps: int = 600
    learning_rate: float = 3e-3
    weight_decay: float = 0.1
    eval_every: int = 25
    patience: int = 4  # evaluations without a better validation loss before stopping
    validation_share: float = 0.1


def _jax():
    """JAX is the optional `neural` extra: imported when a neural student is built, with the
    install line if it is missing."""
    try:
        import jax
        import optax
    except ImportError as exc:  # pragma: no cover - the test environment has the extra
        raise ImportError(
            "the neural student needs JAX: pip install 'synth-assets[neural]' (or `make test`, which installs it)"
        ) from exc
    return jax, optax


# --- the network ------------------------------------------------------------------------------
def init_params(seed: int, vocab: int, cfg: NeuralConfig) -> dict:
    jax, _ = _jax()
    keys = iter(jax.random.split(jax.random.PRNGKey(seed), 4 + 4 * cfg.layers))
    d = cfg.width

    def normal(shape: tuple[int, ...], scale: float = 0.02):
        return scale * jax.random.normal(next(keys), shape)

    def block() -> dict:
        residual = 0.02 / math.sqrt(2 * cfg.layers)  # GPT-2's scaling of the residual projections
        return {
            "ln1": {"g": np.ones(d, np.float32), "b": np.zeros(d, np.float32)},
            "qkv": normal((d, 3 * d)),
            "proj": normal((d, d), residual),
            "ln2": {"g": np.ones(d, np.float32), "b": np.zeros(d, np.float32)},
            "fc": normal((d, 4 * d)),
            "fc_b": np.zeros(4 * d, np.float32),
            "out": normal((4 * d, d), residual),
            "out_b": np.zeros(d, np.float32),
        }

    return {
        "wte": normal((vocab, d)),
        "wpe": normal((cfg.context, d)),
        "blocks": [block() for _ in range(cfg.layers)],
        "lnf": {"g": np.ones(d, np.float32), "b": np.zeros(d, np.float32)},
    }


def _layer_norm(x, ln: dict):
    import jax.numpy as jnp

    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + 1e-5) * ln["g"] + ln["b"]


def _attention(x, blk: dict, heads: int):
    import jax
    import jax.numpy as jnp

    b, t, d = x.shape
    q, k, v = jnp.split(x @ blk["qkv"], 3, axis=-1)
    q, k, v = (a.reshape(b, t, heads, d // heads).transpose(0, 2, 1, 3) for a in (q, k, v))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // heads)
    causal = jnp.tril(jnp.ones((t, t), bool))
    scores = jnp.where(causal, scores, -1e9)
    y = jax.nn.softmax(scores, axis=-1) @ v
    return y.transpose(0, 2, 1, 3).reshape(b, t, d) @ blk["proj"]


def forward(params: dict, tokens, heads: int):
    """Logits [batch, time, vocab] of the next token at every position (output tied to input embeddings)."""
    import jax

    x = params["wte"][tokens] + params["wpe"][: tokens.shape[1]]
    for blk in params["blocks"]:
        x = x + _attention(_layer_norm(x, blk["ln1"]), blk, heads)
        h = jax.nn.gelu(_layer_norm(x, blk["ln2"]) @ blk["fc"] + blk["fc_b"])
        x = x + h @ blk["out"] + blk["out_b"]
    return _layer_norm(x, params["lnf"]) @ params["wte"].T


def _token_losses(params: dict, tokens, heads: int):
    """Negative log-likelihood of each next token: [batch, time]."""
    import jax
    import jax.numpy as jnp

    logp = jax.nn.log_softmax(forward(params, tokens[:, :-1], heads), axis=-1)
    return -jnp.take_along_axis(logp, tokens[:, 1:, None], axis=-1)[..., 0]


# --- data -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chunks:
    """Texts as rows of `context + 1` token ids (`</s>` opens and closes each text; longer texts
    are cut into several rows), with a weight per predicted token (0 on padding)."""

    tokens: np.ndarray  # int32 [rows, context + 1]
    weights: np.ndarray  # float32 [rows, context]
    text_of_row: np.ndarray  # int64 [rows]


def chunk(ids: Sequence[Sequence[int]], context: int, eos: int, weights: Sequence[float] | None = None) -> Chunks:
    rows, masks, owners = [], [], []
    for i, seq in enumerate(ids):
        full = [eos, *seq, eos]
        weight = 1.0 if weights is None else float(weights[i])
        for start in range(0, len(full) - 1, context):
            piece = full[start : start + context + 1]
            rows.append(piece + [eos] * (context + 1 - len(piece)))
            masks.append([weight] * (len(piece) - 1) + [0.0] * (context + 1 - len(piece)))
            owners.append(i)
    return Chunks(
        np.asarray(rows, np.int32).reshape(-1, context + 1),
        np.asarray(masks, np.float32).reshape(-1, context),
        np.asarray(owners, np.int64),
    )


# --- the student ------------------------------------------------------------------------------
class NeuralLM:
    """A GPT over the students' fixed word vocabulary; `fit` trains it from scratch."""

    kind = "neural"

    def __init__(self, vocab: list[str], config: NeuralConfig | None = None, params: dict | None = None) -> None:
        if EOS not in vocab or UNK not in vocab:
            raise ValueError("vocabulary must contain </s> and <unk>")
        self.vocab = list(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.config = config or NeuralConfig()
        self.params = params
        self.history: dict = {}  # how training went: steps, losses, seconds, tokens/s

    def ids(self, text: str) -> list[int]:
        unk = self.index[UNK]
        return [self.index.get(t, unk) for t in tokenize(text)]

    @property
    def parameters(self) -> int:
        return int(sum(np.size(a) for a in _leaves(self.params))) if self.params is not None else 0

    # --- training -------------------------------------------------------------------------
    def fit(
        self,
        texts: Iterable[str],
        weights: Iterable[float] | None = None,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> NeuralLM:
        """Trains from scratch; keeps the parameters of the best validation loss. `weights`: each
        text's tokens count that much in the loss (a weighted mix)."""
        jax, _ = _jax()
        texts = list(texts)
        cfg = self.config
        w = [1.0] * len(texts) if weights is None else [float(x) for x in weights]
        train_idx, valid_idx = _split(len(texts), cfg.validation_share, seed)
        eos = self.index[EOS]
        ids = [self.ids(t) for t in texts]
        train = chunk([ids[i] for i in train_idx], cfg.context, eos, [w[i] for i in train_idx])
        valid = chunk([ids[i] for i in valid_idx], cfg.context, eos, [w[i] for i in valid_idx])
        params = jax.tree_util.tree_map(jax.numpy.asarray, init_params(seed, len(self.vocab), cfg))
        optimizer, step_fn = _trainer(cfg)
        loss_fn = _loss_fn(cfg.heads)
        state = optimizer.init(params)
        rng = np.random.default_rng(seed)
        best, best_loss, stale, step, started = params, math.inf, 0, 0, time.perf_counter()
        losses: list[float] = []
        while step < cfg.max_steps and stale < cfg.patience:
            for _ in range(cfg.eval_every):
                rows = rng.integers(0, len(train.tokens), cfg.batch)
                params, state = step_fn(params, state, train.tokens[rows], train.weights[rows])
                step += 1
            loss = _mean_loss(loss_fn, params, valid if len(valid.tokens) else train)
            losses.append(round(loss, 4))
            if loss < best_loss - 1e-4:
                best, best_loss, stale = params, loss, 0
            else:
                stale += 1
            if progress:
                progress(step, cfg.max_steps, loss)
        seconds = time.perf_counter() - started
        self.params = jax.tree_util.tree_map(np.asarray, best)
        self.history = {
            "steps": step,
            "best_validation_loss": round(best_loss, 4),
            "validation_losses": losses,
            "seconds": round(seconds, 2),
            "tokens_per_s": round(step * cfg.batch * cfg.context / seconds) if seconds else 0,
            "train_texts": len(train_idx),
            "validation_texts": len(valid_idx),
        }
        return self

    # --- scoring --------------------------------------------------------------------------
    def log_probs(self, texts: Sequence[str]) -> list[tuple[float, int]]:
        """Per text: natural-log probability (with its end token) and tokens scored, as
        `KneserNeyLM.log_prob` counts them."""
        ids = [self.ids(t) for t in texts]
        rows = chunk(ids, self.config.context, self.index[EOS])
        per_row = (_nll(_loss_fn(self.config.heads), self.params, rows) * rows.weights).sum(axis=1)
        totals = np.bincount(rows.text_of_row, weights=per_row, minlength=len(texts))
        return [(-float(totals[i]), len(ids[i]) + 1) for i in range(len(texts))]

    def log_prob(self, text: str) -> tuple[float, int]:
        return self.log_probs([text])[0]

    def perplexity(self, texts: Iterable[str]) -> float:
        scored = self.log_probs(list(texts))
        count = sum(n for _, n in scored)
        return math.exp(-sum(lp for lp, _ in scored) / count) if count else float("nan")

    # --- generation -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, max_tokens: int = 60, prefix: str = "") -> str:
        """Ancestral sampling after `</s>` (+ optional prefix), temperature 1; `<unk>` is never emitted.
        Decoded one token at a time with a key/value cache; at the end of the context the cache
        is refilled from the last half of it (the model was trained on pieces that start anywhere)."""
        eos, unk = self.index[EOS], self.index[UNK]
        decoder = _Decoder(self)
        logp = decoder.feed([eos, *self.ids(prefix)])
        out: list[str] = []
        for _ in range(max_tokens):
            logits = np.asarray(logp, np.float64)
            logits[unk] = -np.inf
            p = np.exp(logits - logits.max())
            cdf = np.cumsum(p / p.sum())
            word = int(min(cdf.searchsorted(rng.random(), side="right"), len(cdf) - 1))
            if word == eos:
                break
            out.append(self.vocab[word])
            logp = decoder.feed([word])
        return " ".join(out)

    # --- persistence ----------------------------------------------------------------------
    def digest(self) -> str:
        """What the network is (vocabulary, configuration, parameters), not how long it took to
        train: equal for equal models, whatever the history's timings say."""
        h = hashlib.sha256(json.dumps([self.vocab, asdict(self.config)]).encode())
        for path, array in _paths(self.params):
            h.update("/".join(path).encode())
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()[:16]

    def to_bytes(self) -> bytes:
        """One `.npz`: the parameters by path, the vocabulary, config and training history as JSON."""
        arrays = {"/".join(path): np.asarray(a) for path, a in _paths(self.params)}
        meta = {"kind": self.kind, "vocab": self.vocab, "config": asdict(self.config), "history": self.history}
        buffer = io.BytesIO()
        np.savez(buffer, __meta__=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> NeuralLM:
        with np.load(io.BytesIO(data)) as npz:
            meta = json.loads(npz["__meta__"].tobytes())
            arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
        model = cls(meta["vocab"], NeuralConfig(**meta["config"]), _unflatten(arrays))
        model.history = meta["history"]
        return model


class _Decoder:
    """One sequence's key/value cache and the tokens in it."""

    def __init__(self, model: NeuralLM) -> None:
        self.model = model
        self.step = _decode_step(model.config.heads)
        self.tokens: list[int] = []
        self._reset()

    def _reset(self) -> None:
        cfg = self.model.config
        shape = (cfg.layers, cfg.context, cfg.heads, cfg.width // cfg.heads)
        self.keys, self.values = np.zeros(shape, np.float32), np.zeros(shape, np.float32)

    def feed(self, tokens: list[int]):
        """Log-probabilities of the next token after `tokens` are appended."""
        context = self.model.config.context
        logp = None
        for token in tokens:
            if len(self.tokens) == context:  # full: keep the last half, encoded afresh from position 0
                kept = self.tokens[context // 2 :]
                self.tokens = []
                self._reset()
                for t in kept:
                    logp = self._one(t)
            logp = self._one(token)
        return logp

    def _one(self, token: int):
        logp, self.keys, self.values = self.step(self.model.params, self.keys, self.values, token, len(self.tokens))
        self.tokens.append(token)
        return logp


def _split(n: int, share: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded train/validation split of `n` texts; with fewer than 10 texts, validation is the training set."""
    order = np.random.default_rng(seed).permutation(n).tolist()
    held = round(n * share) if n >= 10 else 0
    return (order[held:], order[:held]) if held else (order, order)


def _nll(loss_fn, params: dict, data: Chunks, batch: int = 64) -> np.ndarray:
    """Per-token negative log-likelihood of every row, in batches of a fixed size (one compilation)."""
    out = []
    for i in range(0, len(data.tokens), batch):
        rows = data.tokens[i : i + batch]
        padded = np.concatenate([rows, np.repeat(rows[:1], batch - len(rows), axis=0)]) if len(rows) < batch else rows
        out.append(np.asarray(loss_fn(params, padded))[: len(rows)])
    return np.concatenate(out) if out else np.zeros((0, data.weights.shape[1]), np.float32)


def _mean_loss(loss_fn, params: dict, data: Chunks) -> float:
    return float((_nll(loss_fn, params, data) * data.weights).sum() / max(data.weights.sum(), 1e-9))


@functools.cache
def _optimizer(cfg: NeuralConfig):
    """AdamW with warm-up and cosine decay, gradients clipped at norm 1 (nanoGPT's recipe)."""
    _, optax = _jax()
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, cfg.learning_rate, min(50, cfg.max_steps // 10 + 1), cfg.max_steps, cfg.learning_rate / 10
    )
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(schedule, weight_decay=cfg.weight_decay))


@functools.cache
def _trainer(cfg: NeuralConfig):
    """The optimizer and its jitted step, compiled once per configuration in a process."""
    jax, optax = _jax()
    optimizer = _optimizer(cfg)

    def objective(params, tokens, weights):
        return (_token_losses(params, tokens, cfg.heads) * weights).sum() / jax.numpy.maximum(weights.sum(), 1e-9)

    @jax.jit
    def step(params, state, tokens, weights):
        grads = jax.grad(objective)(params, tokens, weights)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return optimizer, step


@functools.cache
def _loss_fn(heads: int):
    jax, _ = _jax()
    return jax.jit(lambda params, tokens: _token_losses(params, tokens, heads))


@functools.cache
def _decode_step(heads: int):
    """One token through the network at position `pos`, reading and extending the cache
    (`forward` for that position, without recomputing the ones before)."""
    jax, _ = _jax()
    jnp = jax.numpy

    def step(params, keys, values, token, pos):
        x = params["wte"][token] + params["wpe"][pos]
        width = x.shape[-1]
        visible = jnp.arange(keys.shape[1]) <= pos
        for i, blk in enumerate(params["blocks"]):
            q, k, v = (a.reshape(heads, width // heads) for a in jnp.split(_layer_norm(x, blk["ln1"]) @ blk["qkv"], 3))
            keys = keys.at[i, pos].set(k)
            values = values.at[i, pos].set(v)
            scores = jnp.einsum("hd,thd->ht", q, keys[i]) / math.sqrt(width // heads)
            attended = jax.nn.softmax(jnp.where(visible, scores, -1e9), axis=-1)
            x = x + jnp.einsum("ht,thd->hd", attended, values[i]).reshape(width) @ blk["proj"]
            x = x + jax.nn.gelu(_layer_norm(x, blk["ln2"]) @ blk["fc"] + blk["fc_b"]) @ blk["out"] + blk["out_b"]
        return jax.nn.log_softmax(_layer_norm(x, params["lnf"]) @ params["wte"].T), keys, values

    return jax.jit(step)


def _paths(tree, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    if isinstance(tree, dict):
        return [p for k in sorted(tree) for p in _paths(tree[k], (*prefix, k))]
    if isinstance(tree, list):
        return [p for i, v in enumerate(tree) for p in _paths(v, (*prefix, str(i)))]
    return [(prefix, tree)]


def _leaves(tree) -> list:
    return [a for _, a in _paths(tree)]


def _unflatten(arrays: dict[str, np.ndarray]) -> dict:
    root: dict = {}
    for path, value in arrays.items():
        node = root
        *parents, leaf = path.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return _lists(root)


def _lists(node):
    """Dicts keyed 0..n-1 back into lists (the blocks)."""
    if not isinstance(node, dict):
        return node
    fixed = {k: _lists(v) for k, v in node.items()}
    if fixed and all(k.isdigit() for k in fixed):
        return [fixed[str(i)] for i in range(len(fixed))]
    return fixed
