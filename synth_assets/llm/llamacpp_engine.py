"""Batched decoding for the embedded model: many sequences per llama.cpp batch, shared prompt
prefixes evaluated once.

Decoding one sequence at a time leaves a small model's matrix products starved (about 50 tokens/s
a thread here); one batch holding the next token of every running sequence does several times the
work for little more time. Prompts are most of the cost with few-shot prompts, so a prompt's
longest common prefix with any running sequence is not evaluated again: its cache cells are
shared (the k samples of a task share the whole prompt; few-shot headers and chat templates
repeat across tasks).

Scheduling is continuous (a finished sequence's slot is refilled at the next step) and depends on
the requests and their order alone, never on timing; every sequence samples with its own seeded
sampler. The same requests give the same texts. As with every batched inference server, a
request's text may differ in rounding (and then in sampling) when it is batched with different
neighbours; the response cache is what makes re-runs reproduce. llama.cpp's C API through
llama-cpp-python's bindings: `llama_batch`, `llama_decode`, `llama_sampler_*`, `llama_memory_*`.
"""

from __future__ import annotations

import ctypes
import functools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import llama_cpp as ll
import numpy as np

from synth_assets.llm import tool_format
from synth_assets.llm.base import Generation, GenerationRequest

MIN_P, TOP_K = 0.05, 40  # llama-cpp-python's own defaults for create_completion
WORTH_WAITING = 16  # prefix tokens a group waits one step for, rather than evaluating them again
ResultFn = Callable[[int, Generation], None]
_CANDIDATE = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])  # llama_token_data


@dataclass
class _Group:
    """Requests with the same prompt tokens: the prompt is evaluated once for all of them."""

    prompt: list[int]
    members: list[tuple[int, GenerationRequest]]

    @property
    def worst_case_cells(self) -> int:
        return sum(len(self.prompt) + r.max_tokens for _, r in self.members)


@dataclass
class _Sequence:
    index: int  # of the request
    seq_id: int
    request: GenerationRequest
    sampler: Any
    prompt: list[int]
    grammar: Any = None  # a structured request's grammar sampler, checked after sampling
    logits_at: int = -1  # row of the current batch holding its next-token logits
    next_token: int = -1  # sampled, not yet evaluated
    tokens: int = 0
    raw: bytearray = field(default_factory=bytearray)

    @property
    def pos(self) -> int:
        """Position of `next_token`."""
        return len(self.prompt) + self.tokens - 1

    @property
    def cells(self) -> int:
        """Cache cells it may hold at most (shared prompt cells counted for each holder)."""
        return len(self.prompt) + self.request.max_tokens


class BatchedEngine:
    """One model and one context, decoding up to `parallel` sequences per step from a cache of
    `parallel * n_ctx / 4` cells (sequences rarely use more than a quarter of their context;
    admission counts every sequence at its worst case, so the cache is never short)."""

    def __init__(self, path: str, n_ctx: int = 2048, parallel: int = 16, n_threads: int = 1, n_batch: int = 512):
        ll.llama_backend_init()
        self.model = ll.llama_model_load_from_file(path.encode(), ll.llama_model_default_params())
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        self.vocab = ll.llama_model_get_vocab(self.model)
        self.n_ctx_seq, self.parallel, self.n_batch = n_ctx, parallel, n_batch
        self.n_cells = max(n_ctx, parallel * n_ctx // 4)
        cparams = ll.llama_context_default_params()
        cparams.n_ctx = self.n_cells
        cparams.n_batch = cparams.n_ubatch = n_batch
        cparams.n_seq_max = parallel
        cparams.n_threads = cparams.n_threads_batch = n_threads
        cparams.kv_unified = True  # one pool of cells: a shared prefix is one set of cells
        cparams.no_perf = True
        self.ctx = ll.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a context")
        self.memory = ll.llama_get_memory(self.ctx)
        self.batch = ll.llama_batch_init(n_batch, 0, parallel)
        self.n_vocab = ll.llama_vocab_n_tokens(self.vocab)
        self._chat = _chat_template(self.model, self.vocab)
        self.prompt_tokens_evaluated = 0

    def close(self) -> None:
        ll.llama_batch_free(self.batch)
        ll.llama_free(self.ctx)
        ll.llama_model_free(self.model)

    # -- text and tokens -------------------------------------------------------------------------
    def prompt_text(self, request: GenerationRequest) -> str:
        """`continue` extends the raw text; `chat` goes through the model's own chat template."""
        if request.mode == "continue":
            return request.prompt
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": request.prompt})
        return self._chat(messages + tool_format.messages(request.turns, tools=request.output is not None))

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        buf = (ll.llama_token * (len(data) + 8))()
        n = ll.llama_tokenize(self.vocab, data, len(data), buf, len(buf), True, True)
        if n < 0:  # more tokens than guessed: llama.cpp says how many
            buf = (ll.llama_token * -n)()
            n = ll.llama_tokenize(self.vocab, data, len(data), buf, len(buf), True, True)
        return list(buf[:n])

    # -- scoring ---------------------------------------------------------------------------------
    def mean_logprobs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """The mean log-probability of each continuation's tokens after its context (teacher
        forcing; a context of "" is the model's start of text). Pairs are packed side by side
        into batches of up to `n_batch` tokens, one sequence each; a pair longer than a batch
        keeps the end of its context. NaN where the continuation has no token."""
        items = [self._scored_tokens(context, continuation) for context, continuation in pairs]
        out = [float("nan")] * len(items)
        pack: list[int] = []
        for i in range(len(items) + 1):
            fits = i < len(items) and len(pack) < self.parallel
            fits = fits and sum(len(items[j][0]) for j in pack) + len(items[i][0]) <= self.n_batch
            if not fits and pack:
                for j, value in zip(pack, self._score_pack([items[j] for j in pack]), strict=True):
                    out[j] = value
                pack = []
            if i < len(items) and items[i][1] > 0:
                pack.append(i)
        return out

    def _scored_tokens(self, context: str, continuation: str) -> tuple[list[int], int]:
        """(tokens, how many of the last ones are scored), cut to one batch. The first token of a
        text is never scored: nothing before it predicts it (a model with no BOS token)."""
        head = self.tokenize(context)
        whole = self.tokenize(context + continuation)
        scored = min(len(whole) - len(head), len(whole) - 1, self.n_batch - 1)
        return whole[-min(len(whole), self.n_batch) :], max(scored, 0)

    def _score_pack(self, items: list[tuple[list[int], int]]) -> list[float]:
        ll.llama_memory_clear(self.memory, True)
        self.batch.n_tokens = 0
        rows: list[list[int]] = []
        for seq_id, (tokens, scored) in enumerate(items):
            first = len(tokens) - scored - 1  # the position whose logits predict the first scored token
            rows.append([_put(self.batch, t, pos, [seq_id], pos >= first and pos < len(tokens) - 1)
                         for pos, t in enumerate(tokens)])  # fmt: skip
        _decode(self.ctx, self.batch)
        self.batch.n_tokens = 0
        means = []
        for (tokens, scored), row in zip(items, rows, strict=True):
            total = 0.0
            for k in range(len(tokens) - scored - 1, len(tokens) - 1):
                logits = np.ctypeslib.as_array(ll.llama_get_logits_ith(self.ctx, row[k]), shape=(self.n_vocab,))
                top = float(logits.max())
                total += float(logits[tokens[k + 1]]) - top - float(np.log(np.exp(logits - top).sum()))
            means.append(total / scored)
        ll.llama_memory_clear(self.memory, True)
        return means

    # -- the loop --------------------------------------------------------------------------------
    def run(
        self, requests: Iterable[tuple[int, GenerationRequest]], on_result: ResultFn, stopped: Callable[[], bool]
    ) -> None:
        """Generate every request, reporting each the moment it finishes. Once `stopped()` is
        true no step starts; unfinished sequences are dropped unreported."""
        queue = deque(self._groups(requests, on_result))
        free = list(range(self.parallel - 1, -1, -1))
        running: list[_Sequence] = []
        try:
            while (queue or running) and not stopped():
                self.batch.n_tokens = 0
                for seq in running:
                    seq.logits_at = _put(self.batch, seq.next_token, seq.pos, [seq.seq_id], True)
                running += self._admit(queue, free, running)
                if self.batch.n_tokens:
                    _decode(self.ctx, self.batch)
                running = self._sample(running, free, on_result)
        finally:
            for seq in running:
                self._release(seq, free)

    def _groups(self, requests: Iterable[tuple[int, GenerationRequest]], on_result: ResultFn) -> list[_Group]:
        """Requests grouped by prompt in first-seen order; a group never exceeds `parallel`."""
        groups: dict[tuple[int, ...], list[tuple[int, GenerationRequest]]] = {}
        for index, request in requests:
            tokens = self.tokenize(self.prompt_text(request))
            if len(tokens) >= self.n_ctx_seq:
                message = f"ValueError: Requested tokens ({len(tokens)}) exceed context window of {self.n_ctx_seq}"
                on_result(index, Generation(text="", finish_reason="error", error=message))
                continue
            groups.setdefault(tuple(tokens), []).append((index, request))
        return [
            _Group(list(tokens), members[start : start + self.parallel])
            for tokens, members in groups.items()
            for start in range(0, len(members), self.parallel)
        ]

    def _admit(self, queue: deque[_Group], free: list[int], running: list[_Sequence]) -> list[_Sequence]:
        """Whole groups, in order, while sequence slots, cache cells and batch room last."""
        admitted: list[_Sequence] = []
        cells = sum(s.cells for s in running)
        while queue and len(queue[0].members) <= len(free) and cells + queue[0].worst_case_cells <= self.n_cells:
            group = queue[0]
            source, shared = _longest_prefix(group.prompt, running)  # cells already in the cache
            if _longest_prefix(group.prompt, admitted)[1] > shared + WORTH_WAITING:
                break  # its prefix is being evaluated in this step: share it from the next one
            todo = len(group.prompt) - shared
            room = self.n_batch - self.batch.n_tokens
            if todo > room and (admitted or room < self.n_batch // 2):
                break  # wait for a roomier batch rather than chunk a prompt into a crowded one
            queue.popleft()
            cells += group.worst_case_cells
            seqs = [
                _Sequence(i, free.pop(), r, _sampler(r), group.prompt, _grammar(self.vocab, r))
                for i, r in group.members
            ]
            admitted += seqs
            self._fill_prompt(group.prompt, source, shared, seqs)
        return admitted

    def _fill_prompt(self, prompt: list[int], source: _Sequence | None, shared: int, seqs: list[_Sequence]) -> None:
        """Share the cells of the common prefix, evaluate the rest once for all members (a rest
        longer than the batch's room goes ahead in chunks)."""
        ids = [s.seq_id for s in seqs]
        if source is not None:
            for seq_id in ids:
                ll.llama_memory_seq_cp(self.memory, source.seq_id, seq_id, 0, shared)
        room = self.n_batch - self.batch.n_tokens
        ahead = max(shared, len(prompt) - room)
        self._evaluate_ahead(prompt, shared, ahead, ids)
        for pos in range(ahead, len(prompt)):
            row = _put(self.batch, prompt[pos], pos, ids, pos == len(prompt) - 1)
        self.prompt_tokens_evaluated += len(prompt) - shared
        for seq in seqs:
            seq.logits_at = row

    def _evaluate_ahead(self, prompt: list[int], start: int, end: int, seq_ids: list[int]) -> None:
        """Tokens [start, end) decoded in a batch of their own, so the step's batch stays put."""
        if end <= start:
            return
        batch = ll.llama_batch_init(self.n_batch, 0, self.parallel)
        try:
            for chunk in range(start, end, self.n_batch):
                batch.n_tokens = 0
                for pos in range(chunk, min(chunk + self.n_batch, end)):
                    _put(batch, prompt[pos], pos, seq_ids, False)
                _decode(self.ctx, batch)
        finally:
            ll.llama_batch_free(batch)

    def _sample(self, running: list[_Sequence], free: list[int], on_result: ResultFn) -> list[_Sequence]:
        still = []
        for seq in running:
            token = ll.llama_sampler_sample(seq.sampler, self.ctx, seq.logits_at)
            if seq.grammar is not None:
                token = self._grammatical(seq, token)
            finish = self._advance(seq, token)
            if finish is None:
                still.append(seq)
                continue
            text = _cut_at_stop(seq.raw.decode("utf-8", errors="ignore"), seq.request.stop)
            result = Generation(text, finish, prompt_tokens=len(seq.prompt), completion_tokens=seq.tokens)
            self._release(seq, free)
            on_result(seq.index, result)
        return still

    def _advance(self, seq: _Sequence, token: int) -> str | None:
        """The finish reason once the sequence is done, else None (it goes on with `token`)."""
        if ll.llama_vocab_is_eog(self.vocab, token):
            return "stop"
        seq.tokens += 1
        seq.raw += _piece(self.vocab, token, special=False)
        seq.next_token = token
        if seq.request.stop and _stop_seen(seq.raw, seq.request.stop):
            return "stop"
        if seq.tokens >= seq.request.max_tokens or seq.pos + 1 >= self.n_ctx_seq:
            return "length"
        return None

    def _grammatical(self, seq: _Sequence, token: int) -> int:
        """The sampled token if the grammar allows it, else one sampled again from the tokens it
        allows. llama.cpp's own servers sample this way: checking one token is cheap, masking the
        whole vocabulary at every step halved decoding speed here."""
        one = ll.llama_token_data(token, 1.0, 0.0)
        single = ll.llama_token_data_array(ctypes.pointer(one), 1, -1, False)
        ll.llama_sampler_apply(seq.grammar, ctypes.byref(single))
        if one.logit == float("-inf"):
            token = self._resample(seq)
        ll.llama_sampler_accept(seq.grammar, token)
        return token

    def _resample(self, seq: _Sequence) -> int:
        logits = np.ctypeslib.as_array(ll.llama_get_logits_ith(self.ctx, seq.logits_at), shape=(self.n_vocab,))
        candidates = np.zeros(self.n_vocab, dtype=_CANDIDATE)
        candidates["id"] = np.arange(self.n_vocab)
        candidates["logit"] = logits
        data = candidates.ctypes.data_as(ctypes.POINTER(ll.llama_token_data))
        array = ll.llama_token_data_array(data, self.n_vocab, -1, False)
        ll.llama_sampler_apply(seq.grammar, ctypes.byref(array))
        ll.llama_sampler_apply(seq.sampler, ctypes.byref(array))
        return int(array.data[array.selected].id)

    def _release(self, seq: _Sequence, free: list[int]) -> None:
        ll.llama_memory_seq_rm(self.memory, seq.seq_id, -1, -1)
        ll.llama_sampler_free(seq.sampler)
        if seq.grammar is not None:
            ll.llama_sampler_free(seq.grammar)
        free.append(seq.seq_id)


def _longest_prefix(prompt: list[int], others: Sequence[_Sequence]) -> tuple[_Sequence | None, int]:
    """The running sequence sharing the longest prompt prefix, and its length (at least one
    token is always left to evaluate, for the logits)."""
    best, best_len = None, 0
    seen: set[int] = set()
    for other in others:
        if id(other.prompt) in seen:
            continue
        seen.add(id(other.prompt))
        n = _common(prompt, other.prompt)
        if n > best_len:
            best, best_len = other, n
    return best, min(best_len, len(prompt) - 1)


def _common(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _put(batch: Any, token: int, pos: int, seq_ids: list[int], logits: bool) -> int:
    """Append one token to a llama_batch; returns its row."""
    i = batch.n_tokens
    batch.token[i] = token
    batch.pos[i] = pos
    batch.n_seq_id[i] = len(seq_ids)
    for j, seq_id in enumerate(seq_ids):
        batch.seq_id[i][j] = seq_id
    batch.logits[i] = logits
    batch.n_tokens = i + 1
    return i


def _decode(ctx: Any, batch: Any) -> None:
    status = ll.llama_decode(ctx, batch)
    if status != 0:
        raise RuntimeError(f"llama_decode returned {status}")


def _sampler(request: GenerationRequest) -> Any:
    """llama-cpp-python's create_completion chain (top-k, top-p, min-p, temperature), seeded
    per request; temperature 0 is greedy."""
    chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
    if request.temperature <= 0:
        ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        return chain
    for sampler in (
        ll.llama_sampler_init_top_k(TOP_K),
        ll.llama_sampler_init_top_p(request.top_p, 1),
        ll.llama_sampler_init_min_p(MIN_P, 1),
        ll.llama_sampler_init_temp(request.temperature),
        ll.llama_sampler_init_dist(request.seed & 0xFFFFFFFF),
    ):
        ll.llama_sampler_chain_add(chain, sampler)
    return chain


def _grammar(vocab: Any, request: GenerationRequest) -> Any:
    """The grammar a structured request's schema makes (None for free text)."""
    if request.output is None:
        return None
    sampler = ll.llama_sampler_init_grammar(vocab, _gbnf(request.output.schema_json).encode(), b"root")
    if not sampler:
        raise ValueError(f"llama.cpp could not parse the grammar of the schema {request.output.schema_json[:120]}")
    return sampler


@functools.cache
def _gbnf(schema_json: str) -> str:
    """The GBNF grammar of a JSON schema, by llama-cpp-python's own converter."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(schema_json)


def _stop_seen(raw: bytearray, stops: Sequence[str]) -> bool:
    return any(s.encode() in raw for s in stops)


def _cut_at_stop(text: str, stops: Sequence[str]) -> str:
    cuts = [text.find(s) for s in stops if s in text]
    return text[: min(cuts)] if cuts else text


def _piece(vocab: Any, token: int, special: bool) -> bytes:
    buf = ctypes.create_string_buffer(64)
    n = ll.llama_token_to_piece(vocab, token, buf, len(buf), 0, special)
    if n < 0:
        buf = ctypes.create_string_buffer(-n)
        n = ll.llama_token_to_piece(vocab, token, buf, len(buf), 0, special)
    return buf.raw[: max(n, 0)]


def _chat_template(model: Any, vocab: Any) -> Callable[[list[dict[str, str]]], str]:
    """The GGUF's own Jinja template, rendered as llama-cpp-python renders it for chat."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = ll.llama_model_chat_template(model, None)
    if not template:
        return lambda messages: "\n\n".join(m["content"] for m in messages)
    formatter = Jinja2ChatFormatter(
        template.decode("utf-8"),
        eos_token=_piece(vocab, ll.llama_vocab_eos(vocab), special=True).decode("utf-8", "ignore"),
        bos_token=_piece(vocab, ll.llama_vocab_bos(vocab), special=True).decode("utf-8", "ignore"),
    )
    return lambda messages: formatter(messages=messages).prompt
