"""Does a language model's likelihood tell copy that reads as English from copy that does not?

Scores, under SmolLM2-135M (the base model), the mean and the worst-three token log-probabilities of: human
product descriptions from the shipped catalog, copy the composer builds for the held-out briefs, and drafts a
reader rejected (garbled or ungrammatical, written by the model before the sense checks). Prints the percentiles
of each group. The measured answer (rules/sense/fluency.yaml) is no: rejected drafts score as likely as human
copy or more, which is why the fluency check is a set of patterns rather than a threshold on this score.

Run: `.venv/bin/python bench/fluency_check.py` (about a minute).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from copyloop.brief import load_briefs
from copyloop.catalog import CATALOG_DIR
from copyloop.config import Settings
from copyloop.llm.factory import chat_model
from copyloop.llm.local import LocalChatModel, as_chat
from copyloop.tools.composer import compose_texts
from copyloop.tools.placeholders import delexicalise

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = [SystemMessage("You are an e-commerce copywriter."),
           HumanMessage("Write a line of copy for a product in an online shop.")]
REJECTED = [
    "Bite-bigger than dog, but pack a punch with smart home solutions.",
    "Smart power wires: Next to the lightest cotton in the world. Proud of your product!",
    "One handsfree of a forklat, and no shame in front of your favorite brand.",
    "It has a written by James Clear.", "It also has takes ink cartridges.",
    "What makes a great product you can't live", "The product has a can be stuffed with treats.",
    "Dashboard Safe, Finished by the Rescue. A tip from the most loyal on your team.",
    "Elegant service, no? Want 5-quart stainless steel bowl made in the USA? We've got you covered.",
    "Fresh and tender from the mountains. Ready for your next culinary adventure.",
    "Sneakily crafted with all the best, one-of-a-kind cotton, created with love and care.",
    "The perfect addition to your list. A note from the finest blackcurrant leaves & roses...",
    "Terrific collection, 790 pieces, perfect for all sorts!", "Brushed stainless steel 54 mm portafilter, no less.",
    "Girls love shopping for these adorable pieces! Includes doors, windows, and wheels!",
]


def text_logprobs(model: LocalChatModel, context: list[BaseMessage], texts: list[str]) -> list[list[float]]:
    """Log-probability of each token of each text as the assistant's reply to `context` (teacher-forced)."""
    model.load()
    tokenizer = model._tokenizer
    prefix = tokenizer(tokenizer.apply_chat_template(as_chat(context), tokenize=False, add_generation_prompt=True),
                       add_special_tokens=False)["input_ids"]
    found = []
    for text in texts:
        ids = torch.tensor([prefix + tokenizer(text, add_special_tokens=False)["input_ids"]])
        with torch.inference_mode():
            logits = model._model(input_ids=ids).logits.float()
        logprobs = torch.log_softmax(logits[0, :-1], dim=-1).gather(-1, ids[0, 1:, None])[:, 0]
        found.append(logprobs[len(prefix) - 1:].tolist())
    return found


def main() -> None:
    llm = chat_model(Settings.from_env().with_(tuned=False))
    records = [json.loads(line) for line in (CATALOG_DIR / "products.jsonl").read_text().splitlines()]
    human = [r["description"] for r in random.Random(2).sample(
        [r for r in records if r.get("description") and 60 < len(r["description"]) < 300], 40)]
    briefs = load_briefs(ROOT / "examples" / "unseen" / "briefs.jsonl")
    composed = [delexicalise(texts[0], b).replace("[product]", "product") for b in briefs[::2]
                if (texts := compose_texts(b, 1))]
    for name, texts in (("human descriptions", human), ("composed", composed), ("rejected drafts", REJECTED)):
        scores = text_logprobs(llm, CONTEXT, texts)
        mean = np.array([np.mean(s[1:] or s) for s in scores])
        worst = np.array([np.sort(s[1:] or s)[:3].mean() for s in scores])
        print(f"{name:20s} n={len(texts):3d}  mean log-prob p10 {np.percentile(mean, 10):+.2f} median "
              f"{np.median(mean):+.2f}   worst 3 tokens p10 {np.percentile(worst, 10):+.2f} median "
              f"{np.median(worst):+.2f}")


if __name__ == "__main__":
    main()
