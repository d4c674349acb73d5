"""The `copyloop` command: thin Typer wrappers over the Python API, with Rich output and --json for machines."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import typer
from rich.console import Console
from rich.table import Table

from copyloop.brief import load_brief
from copyloop.config import Settings
from copyloop.errors import BriefError, CopyloopError
from copyloop.graphs.progress import describe
from copyloop.result import Result

if TYPE_CHECKING:
    from copyloop.memory import CopyMemory

app = typer.Typer(help="copyloop: e-commerce marketing copy from a local LLM and a graph of agents.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
memory_app = typer.Typer(help="Inspect, import and export the memory of past copy.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")
keys_app = typer.Typer(help="Create, list and revoke the HTTP API's keys (one brand per key).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
adapter_app = typer.Typer(help="Prepare the LoRA adapter for a GPU engine (vLLM, Ray Serve LLM).", no_args_is_help=True)
app.add_typer(adapter_app, name="adapter")
console = Console()
errors = Console(stderr=True, soft_wrap=True)

ModelOption = Annotated[str | None, typer.Option(help="Local transformers checkpoint folder instead of SmolLM2.")]
AdapterOption = Annotated[str | None, typer.Option(help="LoRA adapter folder to apply to the model.")]
HomeOption = Annotated[Path | None, typer.Option(help="Folder for model cache, memory and checkpoints.")]
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Service database URL: sqlite:///file or "
                                                  "postgresql://user:pass@host/db (default: SQLite in the home).")]
UntunedOption = Annotated[bool, typer.Option("--untuned", help="Run the base SmolLM2 without copyloop's fine-tuned "
                                                              "LoRA adapter (the default applies it).")]


def settings_from(home: Path | None = None, model: str | None = None, adapter: str | None = None,
                  untuned: bool = False, **overrides: Any) -> Settings:
    """Settings from the environment plus the command's options."""
    if untuned:
        overrides["tuned"] = False
    if model:
        overrides.update(backend="transformers", model_path=model)
    if home:
        overrides["home"] = home
    return Settings.from_env(adapter_path=adapter, **overrides)


def fail(error: CopyloopError) -> None:
    """Print a user-facing error (no traceback) and exit with status 2."""
    lines = error.problems if isinstance(error, BriefError) else [str(error)]
    errors.print("[bold red]error:[/] " + ("invalid brief" if isinstance(error, BriefError) else lines[0]))
    for line in lines if isinstance(error, BriefError) else lines[1:]:
        errors.print(f"  {line}")
    raise typer.Exit(2)


@app.command()
def generate(
    brief_file: Annotated[Path, typer.Argument(help="Brief as YAML or JSON.")],
    variants: Annotated[int | None, typer.Option("--variants", "-n", help="How many variants (1-8).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Ask which variants to approve before storing.")] = False,
    no_memory: Annotated[bool, typer.Option("--no-store", help="Do not store approved copy in memory.")] = False,
    home: HomeOption = None,
    model: ModelOption = None,
    adapter: AdapterOption = None,
    untuned: UntunedOption = False,
) -> None:
    """Generate ranked copy variants for a brief."""
    from copyloop.generation import ApprovalPending, resume
    from copyloop.generation import generate as run

    try:
        brief = load_brief(brief_file)
        if variants is not None:
            brief = brief.model_copy(update={"n_variants": variants})
            brief = type(brief).model_validate(brief.model_dump())
        approval = "off" if no_memory else "human" if approve else "auto"
        settings = settings_from(home, model, adapter, untuned, seed=seed, approval=approval)
        progress = None if as_json else show_progress
        try:
            with console.status("[bold]loading model and memory…", spinner="dots"):
                from copyloop.graphs.context import CopyContext

                CopyContext(settings=settings).chat_model()
            result = run(brief, settings, on_progress=progress)
        except ApprovalPending as pending:
            show_pending(pending.payload)
            chosen = typer.prompt("Approve which variants? (e.g. 1,3 or all or none)", default="all")
            ids: list[int] | str = "all" if chosen.strip() == "all" else [
                int(x) for x in chosen.replace(" ", "").split(",") if x.isdigit()]
            result = resume(pending.thread_id, ids, settings, on_progress=progress)
    except CopyloopError as exc:
        fail(exc)
        return
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        show_result(result)


def show_pending(payload: dict[str, Any]) -> None:
    """The ranked variants waiting for a person's approval."""
    for item in payload.get("variants", []):
        console.print(f"[bold]#{item['id']}[/] (rank {item['rank']}): {item['text']}")


def show_progress(node: str, update: dict[str, Any]) -> None:
    """One line per finished node: what it did to the variants."""
    step = describe(node, update)
    console.print(f"[dim]✓ {step['label']:<44}[/] {step['detail']}")


def show_result(result: Result) -> None:
    """The variants as a table, best first, with their key scores and findings."""
    table = Table(title=f"{result.brief.product_name} · {result.brief.channel.value} · {result.model}",
                  show_lines=True, expand=True)
    table.add_column("#", width=2)
    table.add_column("variant", ratio=4, min_width=28, overflow="fold")
    for column in ("sent.", "novel", "len", "pred. CTR", "score"):
        table.add_column(column, overflow="fold")
    table.add_column("findings", ratio=1, min_width=12, overflow="fold")
    for v in result.variants:
        findings = ", ".join(f.rule_id + (" (fixed)" if f.fixed else "") for f in v.findings) or "-"
        text = v.text if v.status == "ok" else f"[red]BLOCKED[/] {v.blocked_reason}\n[dim]{v.text}[/]"
        table.add_row(str(v.rank or v.id), text, f"{v.scores.sentiment:+.2f}", f"{v.scores.novelty:.2f}",
                      str(v.scores.length), f"{v.scores.predicted_ctr:.2f}x", f"{v.scores.overall:.2f}", findings)
    console.print(table)
    reference = "the human-written copy" if result.brief.reference_copy else "the variants' mean"
    console.print(f"[dim]pred. CTR: the click model's CTR relative to {reference}; a proxy learned from news "
                  "headline A/B tests, not a measured e-commerce CTR.[/]")
    console.print(f"distinct-2 {result.distinct_2:.2f} · loops {result.rounds or {}} · {result.seconds:.1f}s · "
                  f"stored {len(result.stored_ids)} in memory")
    for warning in result.input_warnings:
        console.print(f"[yellow]input warning:[/] {warning}")


def memory_at(home: Path | None) -> CopyMemory:
    """The configured copy memory: the Chroma server at memory_url, else the home folder (imported lazily: it
    loads Chroma and MiniLM)."""
    from copyloop.memory import open_memory

    return open_memory(settings_from(home))


@memory_app.command("stats")
def memory_stats(home: HomeOption = None) -> None:
    """Counts of stored copy by channel, category and brand, with performance totals."""
    try:
        stats = memory_at(home).stats()
    except CopyloopError as exc:
        fail(exc)
        return
    console.print_json(json.dumps(stats, default=str))


@memory_app.command("export")
def memory_export(path: Annotated[Path, typer.Argument(help="JSONL file to write ('-' for stdout).")],
                  home: HomeOption = None) -> None:
    """Write every stored record as one JSON object a line."""
    try:
        memory = memory_at(home)
        count = memory.export_jsonl(sys.stdout if str(path) == "-" else path)
    except CopyloopError as exc:
        fail(exc)
        return
    errors.print(f"exported {count} records")


@memory_app.command("import")
def memory_import(path: Annotated[Path, typer.Argument(help="JSONL file of copy records.")],
                  home: HomeOption = None) -> None:
    """Add records from a JSONL file; bad lines are reported and skipped, stored copy is never lost."""
    try:
        imported, problems = memory_at(home).import_jsonl(path)
    except CopyloopError as exc:
        fail(exc)
        return
    for problem in problems:
        errors.print(f"[yellow]skipped:[/] {problem}")
    console.print(f"imported {imported} records" + (f", skipped {len(problems)}" if problems else ""))
    if problems and not imported:
        raise typer.Exit(1)


@app.command()
def chat(
    thread: Annotated[str | None, typer.Option(help="Continue an earlier thread by its id.")] = None,
    database: DatabaseOption = None,
    home: HomeOption = None,
    model: ModelOption = None,
    adapter: AdapterOption = None,
    untuned: UntunedOption = False,
) -> None:
    """Describe a product in plain words and refine the copy in a conversation."""
    from copyloop.chat import ChatSession
    from copyloop.chat_parser import Intent, parse_followup

    try:
        settings = settings_from(home, model, adapter, untuned, database_url=database)
        with console.status("[bold]loading model and memory…", spinner="dots"):
            session = ChatSession(thread, settings)
            session.context.chat_model()
            session.context.copy_memory()
    except CopyloopError as exc:
        fail(exc)
        return
    console.print(f"[bold]copyloop chat[/] · thread [cyan]{session.thread_id}[/] (resume with --thread "
                  f"{session.thread_id}) · type 'help' for commands, 'quit' to leave")
    for message in session.history:
        console.print(("you> " if message["role"] == "user" else "") + message["content"], markup=False,
                      highlight=False)
    while True:
        try:
            text = console.input("[bold green]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not text:
            continue
        try:
            with console.status("[bold]working…", spinner="dots") as status:
                reply = session.send(text, on_progress=lambda node, update: status.update(
                    f"[bold]{describe(node, update)['label']}…"))
        except CopyloopError as exc:
            errors.print(f"[bold red]error:[/] {exc}")
            continue
        console.print(reply, markup=False, highlight=False)
        followup = parse_followup(text)
        if followup is not None and followup.kind == Intent.QUIT:
            break
    session.close()


@app.command()
def finetune(
    config: Annotated[Path | None, typer.Option(help="Recipe YAML (default: the shipped "
                                                      "copyloop/training/configs/sft.yaml).")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Apply the recipe's `quick:` preset (a few minutes).")] = False,
    output: Annotated[Path | None, typer.Option(help="Output folder (overrides the recipe's output_dir).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override a recipe value: dotted.key=YAML value, "
                                                                 "e.g. --set sft.rounds=2. Repeatable.")] = None,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="Skip the before/after evaluation.")] = False,
    outcomes: Annotated[str | None, typer.Option(help="Service database URL (e.g. sqlite:///~/.copyloop/service."
                                                      "sqlite): significant winners of concluded experiments "
                                                      "join the training targets.")] = None,
    sweep: Annotated[bool, typer.Option("--sweep", help="Run the recipe's λ sweep (one small adapter per λ) and "
                                                        "add its trade-off plot to the model card.")] = False,
    offload: Annotated[Path | None, typer.Option(help="Hand sampling and training to a GPU machine through this "
                                                      "folder (python -m copyloop.training.gpu_worker); the run "
                                                      "stops until the worker's answer is there.")] = None,
    home: HomeOption = None,
) -> None:
    """Fine-tune a LoRA adapter on the multi-objective reward; rerun the same command to resume."""
    import yaml

    from copyloop.service.experiment_results import significant_winners
    from copyloop.training.config import load_config
    from copyloop.training.finetune import finetune as run
    from copyloop.training.offload import Handoff

    overrides: dict[str, Any] = {}
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(CopyloopError(f"--set {item!r}: expected dotted.key=value"))
        overrides[key.strip()] = yaml.safe_load(value)
    if output:
        overrides["output_dir"] = str(output)
    if no_eval:
        overrides["evaluate"] = False

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    try:
        recipe = load_config(config, quick=quick, overrides=overrides)
        if sweep:
            from copyloop.training.sweep import lambda_sweep

            lambda_sweep(recipe, settings_from(home), say=say)
            console.print(f"[bold green]done[/]: {recipe.output_dir / 'sweep' / 'lambda_sweep.png'}")
            return
        winners = significant_winners(outcomes) if outcomes else []
        summary = run(recipe, settings_from(home), say=say, offload=offload, outcomes=winners)
    except Handoff as waiting:
        console.print(f"[bold yellow]waiting for the GPU worker[/]: {waiting}", highlight=False)
        return
    except CopyloopError as exc:
        fail(exc)
        return
    minutes = summary["minutes"]
    console.print(f"[bold green]done[/] in {minutes.get('with_evaluation', minutes['training_total'])} min; model "
                  f"card: {recipe.output_dir / 'adapter' / 'README.md'}")


@app.command("train-click-model")
def train_click_model(
    data: Annotated[Path | None, typer.Option(help="Upworthy-style A/B test parquet (default: the bundled "
                                                    "archive in copyloop/data/upworthy).")] = None,
    output: Annotated[Path, typer.Option(help="Folder for weights.npy, card.json and README.md; "
                                              "copyloop/models/click-model replaces the shipped one.")]
    = Path("runs/click-model"),
    validation_share: Annotated[float, typer.Option(min=0.05, max=0.5, help="Share of the latest tests held "
                                                                            "out for validation.")] = 0.2,
) -> None:
    """Retrain the click model (predicted relative CTR) on real headline A/B tests and write its card."""
    from copyloop.training.click_training import model_card_markdown
    from copyloop.training.click_training import train_click_model as train

    try:
        model = train(data, validation_share, say=lambda line: console.print(line, markup=False, highlight=False))
    except CopyloopError as exc:
        fail(exc)
        return
    model.save(output)
    (output / "README.md").write_text(model_card_markdown(model))
    console.print(f"[bold green]done[/]: {output}")


@app.command("eval")
def evaluate(
    briefs: Annotated[Path | None, typer.Option(help="Brief set: JSONL (one brief a line) or a JSON/YAML list "
                                                      "(default: the 32 shipped validation products).")] = None,
    configs: Annotated[str, typer.Option(help="Comma-separated: baseline, workflow, finetuned, human.")]
    = "baseline,workflow,finetuned,human",
    output: Annotated[Path, typer.Option(help="Folder for report.md, report.json, texts.json and plots.")]
    = Path("runs/eval"),
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N briefs.")] = None,
    home: HomeOption = None,
) -> None:
    """Compare configurations over a brief set: a Markdown/JSON report with intervals, plots, simulated A/B tests."""
    from copyloop.brief import load_briefs
    from copyloop.evaluation.report import EVAL_BRIEFS, parse_configs, run_eval

    try:
        names = parse_configs(configs)
        brief_set = load_briefs(briefs or EVAL_BRIEFS)[:limit]
        run_eval(brief_set, names, output, settings_from(home),
                 say=lambda line: console.print(line, markup=False, highlight=False))
    except CopyloopError as exc:
        fail(exc)
        return
    console.print(f"[bold green]done[/]: {output / 'report.md'}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Serve requests only; leave queued jobs and "
                                                                "webhooks to another server on the same database.")]
    = False,
    database: DatabaseOption = None,
    home: HomeOption = None,
    model: ModelOption = None,
    adapter: AdapterOption = None,
    untuned: UntunedOption = False,
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) with its job and webhook workers."""
    import uvicorn

    from copyloop.api import create_app

    try:
        application = create_app(settings_from(home, model, adapter, untuned, database_url=database),
                                 worker=not no_worker)
    except CopyloopError as exc:
        fail(exc)
        return
    errors.print(f"copyloop API on http://{host}:{port}  (OpenAPI: /openapi.json, docs: /docs)")
    uvicorn.run(application, host=host, port=port, log_level="info")


def service_engine(home: Path | None, database: str | None) -> Any:
    """The service database the server in this home (or at this URL) uses."""
    from copyloop.service.db import connect, default_url

    settings = settings_from(home, database_url=database)
    return connect(settings.database_url or default_url(settings.home))


@keys_app.command("create")
def keys_create(brand: Annotated[str, typer.Option(help="The brand the key acts for.")],
                label: Annotated[str, typer.Option(help="A note to tell keys apart.")] = "",
                as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
                database: DatabaseOption = None, home: HomeOption = None) -> None:
    """Create an API key and its webhook secret; both are shown once (only a hash of the key is stored)."""
    from copyloop.service.keys import create_key

    try:
        key = create_key(service_engine(home, database), brand, label)
    except CopyloopError as exc:
        fail(exc)
        return
    if as_json:
        console.print_json(json.dumps(key.__dict__))
        return
    console.print(f"brand:          {key.brand}\napi key:        {key.api_key}\nwebhook secret: {key.webhook_secret}"
                  "\n[dim]Store both now: they are not shown again.[/]", highlight=False)


@keys_app.command("list")
def keys_list(database: DatabaseOption = None, home: HomeOption = None) -> None:
    """Every key's id, brand, label and whether it is revoked (never the secret)."""
    from copyloop.service.keys import list_keys

    table = Table("key id", "brand", "label", "revoked")
    for row in list_keys(service_engine(home, database)):
        table.add_row(row["key_id"], row["brand"], row["label"], "yes" if row["revoked_at"] else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id, as `copyloop keys list` shows it.")],
                database: DatabaseOption = None, home: HomeOption = None) -> None:
    """Revoke a key now: requests with it get 401."""
    from copyloop.service.keys import revoke_key

    if not revoke_key(service_engine(home, database), key_id):
        errors.print(f"[bold red]error:[/] no active key {key_id!r}")
        raise typer.Exit(2)
    console.print(f"revoked {key_id}")


@adapter_app.command("export")
def adapter_export(
    output: Annotated[Path, typer.Argument(help="Folder to write the LoRA module into.")],
    adapter: Annotated[Path | None, typer.Option(help="PEFT LoRA folder (default: copyloop's shipped adapter).")]
    = None,
    base: Annotated[str, typer.Option(help="The base model the engine serves: a hub id or a local folder (a folder's "
                                           "config.json is checked against the adapter).")] = "",
    max_lora_rank: Annotated[int | None, typer.Option(help="Check against a server started with this "
                                                           "--max-lora-rank.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier export in OUTPUT.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Write the adapter as a vLLM / Ray Serve LLM LoRA module, or say why an engine could not serve it."""
    from copyloop.llm.factory import SHIPPED_ADAPTER
    from copyloop.llm.lora_export import HF_BASE, export_adapter, load_base_config
    from copyloop.llm.smollm2 import MODEL_NAME

    served = base or HF_BASE
    # A hub id is checked against the converted SmolLM2 in the cache when it is there (nothing is converted for it).
    config = load_base_config(served) or (None if base else load_base_config(Settings().model_cache / MODEL_NAME))
    try:
        done = export_adapter(adapter or SHIPPED_ADAPTER, output, base=served, max_lora_rank=max_lora_rank,
                              base_config=config, force=force)
    except CopyloopError as exc:
        fail(exc)
        return
    command = done.vllm_command()
    if as_json:
        console.print_json(json.dumps({**done.__dict__, "folder": str(done.folder), "vllm_command": command}))
        return
    unchecked = "" if config else " [dim](shapes not checked: no base config.json)[/]"
    console.print(f"[bold green]exported[/] {output}: rank {done.rank}, {done.tensors} tensors on "
                  f"{', '.join(done.modules)}{unchecked}", highlight=False)
    for change in done.changes:
        console.print(f"  {change}", highlight=False, soft_wrap=True)
    console.print(f"serve it:\n  {command}", highlight=False, soft_wrap=True)
