"""One drafting pass: every variant without text, or with a critic's feedback, gets a fresh draft.

All drafts of one pass come from a single batched model call that samples `candidates` drafts per variant and
keeps the best: the fewest sense findings, then the best draft quality (inference-time best-of-n). The model writes
the name as a slot; the exact name that fits the channel goes in.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from copyloop.brief import Brief, Channel
from copyloop.config import Settings
from copyloop.drafting.prompts import Exemplar, angles, draft_messages, focus_fact
from copyloop.llm.local import LocalChatModel
from copyloop.memory import CopyMemory
from copyloop.result import Variant
from copyloop.tools.channels import channel_spec
from copyloop.tools.composer import fitting_name
from copyloop.tools.diversity import ngram_overlap
from copyloop.tools.finishing import needs_mid_sentence_cut
from copyloop.tools.placeholders import delexicalise, described_as, fill_slots
from copyloop.tools.quality import draft_quality
from copyloop.tools.sense.checks import sense_findings
from copyloop.tools.sense.context import name_forms
from copyloop.tools.sense.repairs import repaired
from copyloop.tools.text_cleanup import drop_cut_off_sentence, extract_copy, remove_repeated_phrases, tidy

EXEMPLARS_PER_PROMPT = 2
SIBLING_OVERLAP_WEIGHT = 0.3  # draft quality a candidate gives up per unit of bigram overlap with a sibling
# A redraft pass decodes only the variants sent back, so sampling more candidates for each costs little wall time
# (rows decode side by side) and saves whole passes.
REDRAFT_CANDIDATES = 3


def draft_pass(brief: Brief, variants: list[Variant], llm: BaseChatModel, memory: CopyMemory, settings: Settings,
               passes: int = 0, guidance: str | None = None) -> list[Variant]:
    """Draft (or redraft) in place every live variant without text or with feedback; returns the variants drafted.

    `passes` is how many passes came before (a redraft samples more candidates, a little hotter)."""
    todo = [v for v in variants if needs_draft(v)]
    if not todo:
        return []
    exemplars = find_exemplars(brief, memory)
    k = settings.candidates or channel_spec(brief.channel).candidates
    if passes:
        k = max(k, REDRAFT_CANDIDATES)
    for variant in todo:
        variant.focus = variant.focus or focus_fact(brief, variant.id - 1)
    conversations = [draft_messages(brief, angle_of(v), exemplars, focus=v.focus, feedback=v.feedback or guidance)
                     for v in todo for _ in range(k)]
    texts = generate(llm, conversations, brief.channel, temperature=settings.temperature + 0.1 * passes,
                     seed=settings.seed + 1000 * passes)
    for index, variant in enumerate(todo):
        before = variant.text or None
        siblings = [v.text for v in variants if v is not variant and v.text and v.status == "ok"]
        variant.text = best_draft([clean_draft(t, brief) for t in texts[index * k:(index + 1) * k]], brief, siblings)
        reason = f"angle '{variant.angle}', about '{variant.focus}'" + \
            (f"; feedback: {variant.feedback}" if variant.feedback else "")
        variant.note("draft", "redraft" if before else "draft", reason, before=before or "")
        variant.feedback = None
        variant.findings = []  # new text, new findings: the reviewer checks it afresh
    return todo


def needs_draft(variant: Variant) -> bool:
    """A live variant with no text yet, or with a critic's feedback to redraft on."""
    return variant.status == "ok" and (not variant.text or bool(variant.feedback))


def new_variants(brief: Brief, settings: Settings) -> list[Variant]:
    """N variants plus the channel's spares, each on a different copywriting angle (rotated by seed).

    Spares cost little in the batched call and save whole model passes: a failing variant is dropped for a
    spare instead of being redrafted; the ranker ships the best N.
    """
    pool = angles()
    spares = channel_spec(brief.channel).spares if settings.spares is None else settings.spares
    return [Variant(id=i + 1, text="", angle=pool[(settings.seed + i) % len(pool)].id)
            for i in range(brief.n_variants + spares)]


def angle_of(variant: Variant):
    """The Angle object a variant is drafted from."""
    return next(a for a in angles() if a.id == variant.angle)


def find_exemplars(brief: Brief, memory: CopyMemory) -> list[Exemplar]:
    """Best past copy of this category and channel from memory (the product's name as the slot): proven winners
    first. None when memory holds no such copy: the fine-tuned model needs no examples to follow the format."""
    records = memory.exemplars(brief.category, brief.channel.value, k=EXEMPLARS_PER_PROMPT, brand=brief.brand)
    found = [Exemplar(product=described_as(brief), facts=(f"category {r.category}",), focus=f"category {r.category}",
                      copy=delexicalise(r.text, brief)) for r in records]
    return found


def generate(llm: BaseChatModel, conversations: list, channel: Channel, *, temperature: float, seed: int) -> list[str]:
    """One batched call for all conversations, with the channel's token budget."""
    budget_key = "max_new_tokens" if isinstance(llm, LocalChatModel) else "max_tokens"
    options = {budget_key: channel_spec(channel).max_new_tokens, "temperature": temperature, "seed": seed}
    replies = llm.bind(**options).batch(conversations)
    return [str(r.content) for r in replies]


def best_draft(candidates: list[str], brief: Brief, siblings: list[str] | None = None) -> str:
    """The sampled candidate with the fewest sense findings, then one that fits the channel without cutting a
    sentence, then the highest draft quality less its word overlap with the siblings' texts (the first on a tie)."""
    def overlap(text: str) -> float:
        return max((ngram_overlap(text, other, 2) for other in siblings or ()), default=0.0)
    return max(candidates, key=lambda text: (-len(sense_findings(text, brief)), not needs_mid_sentence_cut(text, brief),
                                             draft_quality(text, brief) - SIBLING_OVERLAP_WEIGHT * overlap(text)))


def clean_draft(raw: str, brief: Brief) -> str:
    """Raw model output to clean copy: the name filled in, no preamble, loops or cut-off endings, and the grammar
    slips with one certain fix mended (tools.sense.repairs)."""
    forms = sorted(name_forms(brief), key=len)
    text = fill_slots(raw, brief, fitting_name(brief), later=forms[0])
    text = extract_copy(text, keep_hashtags=brief.channel == Channel.SOCIAL_POST)
    one_line = channel_spec(brief.channel).sentences == 1
    return repaired(tidy(drop_cut_off_sentence(remove_repeated_phrases(text), one_line=one_line)), brief)
