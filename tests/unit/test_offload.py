"""The GPU hand-off of `copyloop finetune --offload`: jobs out, answers back, stale answers never taken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyloop.brief import Brief
from copyloop.errors import CopyloopError
from copyloop.tools.channels import channel_spec
from copyloop.training.config import FinetuneConfig
from copyloop.training.gpu_worker import ADAPTER, ANSWERS_TO, JOBS, SAMPLES, TARGETS, _batches, digest, read_lines
from copyloop.training.offload import Handoff, offloaded_candidates, offloaded_training
from copyloop.training.sampling import prompt_for

BRIEFS = [Brief(product_name="Trail Bottle", channel="email_subject", category="Outdoor",
                features=["keeps drinks cold for 24 hours"]),
          Brief(product_name="Reading Lamp", channel="product_title", category="Home", features=["warm light"])]


def recipe(tmp_path: Path, **sft: object) -> FinetuneConfig:
    return FinetuneConfig.model_validate({"output_dir": str(tmp_path / "run"),
                                          "sft": {"candidates": 2, "polish": False, **sft}})


def answer(folder: Path, texts: dict[tuple[int, int], str], jobs_digest: str | None = None) -> None:
    """What the worker writes: the digest of the jobs it answered, then one text per job."""
    lines = [{"jobs_sha256": jobs_digest or digest(folder / JOBS)}]
    lines += [{"brief_index": i, "slot": s, "text": t} for (i, s), t in texts.items()]
    (folder / SAMPLES).write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_sampling_jobs_are_the_prompts_the_cpu_sampler_would_draw(tmp_path: Path) -> None:
    cfg, folder = recipe(tmp_path), tmp_path / "handoff"
    with pytest.raises(Handoff, match="4 sampling jobs"):
        offloaded_candidates(cfg, BRIEFS, 1, Path("copyloop/adapters/smollm2-copyloop"), folder)
    header, *jobs = read_lines(folder / JOBS)
    assert header["adapter"] == "copyloop/adapters/smollm2-copyloop" and header["seed"] == cfg.seed + 1
    assert [(j["brief_index"], j["slot"]) for j in jobs] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert jobs[3]["prompt"] == prompt_for(BRIEFS[1], cfg.seed + 1 + 1 + 1)
    assert jobs[2]["max_new_tokens"] == channel_spec(BRIEFS[1].channel).max_new_tokens
    assert {j["temperature"] for j in jobs} == {cfg.sft.temperature}


def test_answers_become_cleaned_candidates_and_a_stale_answer_is_refused(tmp_path: Path) -> None:
    cfg, folder = recipe(tmp_path), tmp_path / "handoff"
    with pytest.raises(Handoff):
        offloaded_candidates(cfg, BRIEFS, 1, None, folder)
    texts = {(0, 0): "Here is the copy: [product] keeps drinks cold for 24 hours", (0, 1): "[product]: cold all day",
             (1, 0): "[product] with warm light", (1, 1): ""}
    answer(folder, texts, jobs_digest="0" * 64)  # answers to other questions
    with pytest.raises(Handoff):
        offloaded_candidates(cfg, BRIEFS, 1, None, folder)
    answer(folder, texts)
    found = offloaded_candidates(cfg, BRIEFS, 1, None, folder)
    assert [(c.brief_index, c.slot) for c in found] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert found[0].text.startswith("Trail Bottle keeps drinks cold")  # preamble gone, the name filled in
    assert found[3].text == "" and all(c.source == "sample" for c in found)
    (folder / SAMPLES).unlink()  # the round's candidates are kept: the rerun needs no answer any more
    assert offloaded_candidates(cfg, BRIEFS, 1, None, folder) == found
    hotter = recipe(tmp_path / "other", temperature=1.2)
    answer(folder, texts)
    with pytest.raises(Handoff):  # another recipe asks other questions: the old answers are stale
        offloaded_candidates(hotter, BRIEFS, 1, None, folder)


def test_training_waits_for_an_adapter_trained_on_exactly_these_targets(tmp_path: Path) -> None:
    cfg, folder, adapter = recipe(tmp_path), tmp_path / "handoff", tmp_path / "run" / "round-1" / "adapter"
    rows = [{"prompt": [{"role": "user", "content": "Write"}],
             "completion": [{"role": "assistant", "content": "[product] stays cold."}], "source": "composed"}]
    with pytest.raises(Handoff, match="1 training targets"):
        offloaded_training(cfg, rows, folder, adapter)
    assert read_lines(folder / TARGETS) == [{"prompt": rows[0]["prompt"], "completion": rows[0]["completion"]}]
    assert FinetuneConfig.model_validate_json((folder / "config.json").read_text()) == cfg
    trained = folder / ADAPTER
    trained.mkdir()
    (trained / "adapter_config.json").write_text("{}")
    (trained / ANSWERS_TO).write_text(digest(folder / TARGETS))
    with pytest.raises(CopyloopError, match=r"train_stats\.json"):
        offloaded_training(cfg, rows, folder, adapter)
    (trained / "train_stats.json").write_text(json.dumps({"seconds": 42.0, "steps": 7, "tokens": 900}))
    more = [*rows, {**rows[0], "completion": [{"role": "assistant", "content": "Cold for a day: [product]."}]}]
    with pytest.raises(Handoff, match="2 training targets"):  # trained on fewer targets than these
        offloaded_training(cfg, more, folder, adapter)
    stats = offloaded_training(cfg, rows, folder, adapter)
    assert (stats.seconds, stats.steps, stats.tokens) == (42.0, 7, 900)
    assert (adapter / "adapter_config.json").is_file() and not (adapter / ANSWERS_TO).exists()


def test_worker_batches_share_one_budget_and_stay_under_the_size() -> None:
    jobs = [{"max_new_tokens": budget, "temperature": 0.9, "prompt": "x" * n}
            for budget, n in [(24, 5), (96, 50), (24, 80), (96, 10), (24, 20)]]
    batches = list(_batches(jobs, 2))
    assert sorted(len(b) for b in batches) == [1, 2, 2]
    assert all(len({j["max_new_tokens"] for j in b}) == 1 for b in batches)
    assert sum(len(b) for b in batches) == len(jobs)
    assert [len(j["prompt"]) for j in batches[0]] == [80, 20]  # longest first: one padding width per batch
