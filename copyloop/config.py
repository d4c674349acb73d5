"""Run-time settings: model backend, paths, loop caps and thresholds.

Every field falls back to an upper-case COPYLOOP_* environment variable, then to its default, so the
same settings work from Python, the CLI, the HTTP server and LangGraph Studio.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from copyloop.errors import CopyloopError

Backend = Literal["smollm2", "transformers", "openai"]
Approval = Literal["auto", "human", "off"]


def default_home() -> Path:
    """Where copyloop keeps its model cache, memory and checkpoints."""
    return Path(os.environ.get("COPYLOOP_HOME", Path.home() / ".copyloop")).expanduser()


def default_model_cache() -> Path:
    """Where converted model weights live: a cache, shared by every copyloop home on the machine."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser()
    return Path(os.environ.get("COPYLOOP_MODEL_CACHE", xdg / "copyloop" / "models")).expanduser()


@dataclass(kw_only=True)
class Settings:
    """Everything a run can be configured with; see the README's configuration table."""

    home: Path = field(default_factory=default_home, metadata={"help": "cache, memory and checkpoint folder"})
    model_cache: Path = field(default_factory=default_model_cache, metadata={"help": "converted model weights"})
    backend: Backend = field(default="smollm2", metadata={"help": "smollm2 | transformers | openai"})
    model_path: str | None = field(default=None, metadata={"help": "local checkpoint folder (transformers)"})
    adapter_path: str | None = field(default=None, metadata={"help": "LoRA adapter folder to apply"})
    tuned: bool = field(default=True, metadata={
        "help": "apply the shipped fine-tuned LoRA adapter to the built-in SmolLM2 (false: the base model)"})
    openai_base_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible endpoint"})
    openai_model: str | None = field(default=None, metadata={"help": "model name at that endpoint"})
    openai_api_key: str | None = field(default=None, metadata={"help": "API key for that endpoint"})
    seed: int = field(default=7, metadata={"help": "sampling seed; same seed, same variants"})
    temperature: float = field(default=0.7, metadata={"help": "sampling temperature for drafts"})
    candidates: int | None = field(default=None, metadata={
        "help": "drafts sampled per variant, the best kept (default: the channel's `candidates`)"})
    spares: int | None = field(default=None, metadata={
        "help": "extra variants drafted so failing ones can be dropped (default: the channel's `spares`)"})
    max_drafts: int | None = field(default=None, metadata={
        "help": "drafting passes per brief, first included (default: the channel's `passes`)"})
    max_revisions: int = field(default=2, metadata={"help": "sentiment revise rounds per brief"})
    max_regenerations: int = field(default=2, metadata={"help": "diversity regenerate rounds per brief"})
    max_fix_rounds: int = field(default=2, metadata={"help": "compliance fix rounds per brief"})
    max_replacements: int = field(default=1, metadata={"help": "rounds that redraft blocked variants afresh"})
    sibling_similarity_max: float = field(default=0.92, metadata={"help": "cosine above which siblings clash"})
    memory_similarity_max: float = field(default=0.9, metadata={"help": "cosine above which copy is not novel"})
    memory_url: str | None = field(default=None, metadata={
        "help": "Chroma server holding the copy memory, http(s)://host:port, shared by several servers "
                "(default: the folder memory/ in home, for one machine)"})
    approval: Approval = field(default="auto", metadata={"help": "auto | human (interrupt) | off"})
    database_url: str | None = field(default=None, metadata={
        "help": "service database: sqlite:///path or postgresql://user@host/db (default: SQLite in home)"})
    keep_threads: int = field(default=1000, metadata={
        "help": "finished generation runs kept in the checkpointer, the newest first (0: no count limit)"})
    keep_threads_days: float = field(default=7.0, metadata={
        "help": "days a finished generation run is kept in the checkpointer (0: no age limit)"})
    keep_approvals_days: float = field(default=30.0, metadata={
        "help": "days a run waiting for a human approval is kept before it is pruned unanswered (0: for ever)"})
    keep_chats_days: float = field(default=30.0, metadata={
        "help": "days a chat thread is kept after its last message (0: for ever)"})
    max_request_bytes: int = field(default=1_000_000, metadata={"help": "HTTP request body limit (413 above)"})
    generate_concurrency: int = field(default=2, metadata={
        "help": "POST /v1/generate runs at once per server, on threads of their own; another one while all are "
                "busy is queued as a job (202 with its Location)"})
    job_lease_seconds: float = field(default=120.0, metadata={
        "help": "a running job whose worker is silent this long is taken over by another (or a restarted) server"})
    webhook_backoff_seconds: float = field(default=1.0, metadata={
        "help": "first webhook retry delay; doubles per failed try, capped at 10 minutes"})
    webhook_allow: str = field(default="", metadata={
        "help": "hosts or networks webhooks may reach beyond public addresses, comma-separated "
                "(e.g. 127.0.0.1 or 10.0.0.0/8 for a receiver inside your network)"})

    def __post_init__(self) -> None:
        if self.generate_concurrency < 1:  # 0 slots would turn every POST /v1/generate into a job
            raise CopyloopError(f"generate_concurrency must be at least 1, got {self.generate_concurrency}")
        for name in ("keep_threads", "keep_threads_days", "keep_approvals_days", "keep_chats_days"):
            if getattr(self, name) < 0:  # a typo, not a way to say 'no limit' (that is 0)
                raise CopyloopError(f"{name} must be 0 (no limit) or more, got {getattr(self, name)}")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from COPYLOOP_* variables, with explicit keyword overrides winning."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"COPYLOOP_{f.name.upper()}")
            if raw is not None and f.name not in ("home", "model_cache"):
                try:
                    values[f.name] = _coerce(f.type, raw)
                except ValueError as exc:
                    raise CopyloopError(f"COPYLOOP_{f.name.upper()}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def webhook_allow_list(self) -> tuple[str, ...]:
        """`webhook_allow` as its entries (hosts or networks), blanks dropped."""
        return tuple(entry.strip() for entry in self.webhook_allow.split(",") if entry.strip())

    @property
    def memory_dir(self) -> Path:
        return self.home / "memory"

    @property
    def checkpoint_db(self) -> Path:
        return self.home / "checkpoints.sqlite"


_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _coerce(kind: Any, raw: str) -> Any:
    kind = str(kind)
    if kind == "bool":
        if raw.strip().lower() not in _BOOLS:
            raise ValueError(f"expected one of {sorted(_BOOLS)}, got {raw!r}")
        return _BOOLS[raw.strip().lower()]
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    return raw
