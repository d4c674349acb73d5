"""Cleaning SmolLM-style raw output into copy, and holding copy to channel limits."""

from __future__ import annotations

import json
import random
import re

import pytest

from copyloop.brief import Brief, Channel
from copyloop.tools.channels import channel_spec
from copyloop.tools.reward_inputs import brief_field, completion_text, sample_values
from copyloop.tools.text_cleanup import (
    DANGLING_WORDS,
    apply_channel_policy,
    count_emoji,
    drop_cut_off_sentence,
    extract_copy,
    fit_length,
    length_fit,
    length_reward,
    remove_repeated_phrases,
    split_sentences,
    strip_dangling,
    tidy,
)

# --- extract_copy ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            'Sure! Here\'s a subject line for your coffee brand:\n\n"Wake up to better coffee ☕"\n\n'
            "I hope this helps! Let me know if you need more options.",
            "Wake up to better coffee ☕",
        ),
        (
            "Here is the product description:\n\n**Cozy Knit Sweater**\n\nStay warm all winter with our soft knit "
            "sweater. Made from merino wool, it's gentle on skin.",
            "Cozy Knit Sweater. Stay warm all winter with our soft knit sweater. Made from merino wool, it's gentle "
            "on skin.",
        ),
        ("Subject: Your new favorite mug is here", "Your new favorite mug is here"),
        ("**Subject:** Don't miss our summer sale!!!", "Don't miss our summer sale!"),
        ("Headline: Fresh Coffee, Delivered Daily (30 characters)", "Fresh Coffee, Delivered Daily"),
        ("Title: Cozy Knit Sweater\nDescription: A warm sweater for cold days.", "Cozy Knit Sweater"),
        (
            'Here are 3 subject lines:\n1. "Wake up happy"\n2. "Coffee that loves you back"\n3. "Brew better"',
            "Wake up happy",
        ),
        ("1. Wake up happy 2. Coffee that loves you back 3. Brew better", "Wake up happy"),
        (
            "Certainly! Here are some options:\n- Brew better mornings\n- Sip something special\n- Your cup, upgraded",
            "Brew better mornings",
        ),
        (
            "Of course, I can help with that. Here's a push notification:\nYour order ships today! Track it now.",
            "Your order ships today! Track it now.",
        ),
        (
            "## Product Description\nOur ergonomic chair supports your back all day . It adjusts in seconds ,and "
            "looks sharp .",
            "Our ergonomic chair supports your back all day. It adjusts in seconds, and looks sharp.",
        ),
        (
            "Headline 1: Fresh beans, bold taste\nHeadline 2: Coffee worth waking for",
            "Fresh beans, bold taste",
        ),
        (
            "Don't miss our summer sale! This subject line creates urgency and highlights the discount.",
            "Don't miss our summer sale!",
        ),
        ('"Wake up to better coffee".', "Wake up to better coffee."),
        ("<|im_start|>assistant\nSubject: Big savings inside<|im_end|>", "Big savings inside"),
        # copy that merely starts like a preamble is left alone
        ("Sure-grip handles keep your pans steady. Cook with confidence.", None),
        ("Here's to slow mornings and strong coffee.", None),
        ("Would you like free shipping? Order by Friday.", None),
        ("Here is your new favorite post-workout snack: protein bites.", None),
        ("Soft cotton tee. Note: hand wash only.", None),
        ("Soft cotton tee. Note: this description highlights comfort.", "Soft cotton tee."),
    ],
)
def test_extract_copy_strips_chat_scaffolding(raw: str, expected: str | None) -> None:
    assert extract_copy(raw) == (expected if expected is not None else raw)


def test_extract_copy_hashtags_only_dropped_at_the_end_unless_kept() -> None:
    raw = "Summer is here ☀️ Grab your #sunnies today! 😎 #summer #style #sale"
    assert extract_copy(raw) == "Summer is here ☀️ Grab your #sunnies today! 😎"
    assert extract_copy(raw, keep_hashtags=True) == raw


def test_extract_copy_of_pure_chatter_is_empty() -> None:
    assert extract_copy("Sure! Here's a subject line:") == ""
    assert extract_copy("   ") == ""


def test_extract_copy_is_idempotent_on_clean_copy() -> None:
    clean = "Soft merino socks that keep feet warm on cold mornings. Machine washable."
    assert extract_copy(clean) == clean
    assert extract_copy(extract_copy(clean)) == clean


# --- tidy --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  wake   up to\nbetter coffee  ", "Wake up to better coffee"),
        ("Fresh beans , roasted daily !", "Fresh beans, roasted daily!"),
        ("Big sale!!! Shop now??", "Big sale! Shop now?"),
        ("Ready to go.. Order today....", "Ready to go. Order today..."),
        ("Ready when you are...", "Ready when you are..."),
        ('"Cozy socks for cold nights', "Cozy socks for cold nights"),
        ("Soft (and warm socks", "Soft and warm socks"),
        ("Soft and warm) socks", "Soft and warm socks"),
        ("“Brew better, every day", "Brew better, every day"),
        ("Quick,easy and clean!Try it", "Quick, easy and clean! Try it"),
        ("Great taste,.", "Great taste."),
        ("iPhone case that lasts", "iPhone case that lasts"),
        ("eBay seller favorites", "eBay seller favorites"),
        ("$29 coffee grinder", "$29 coffee grinder"),
        ('The "best" mug (really)', 'The "best" mug (really)'),
    ],
)
def test_tidy(raw: str, expected: str) -> None:
    assert tidy(raw) == expected


def test_tidy_keeps_prices_and_decimals() -> None:
    assert tidy("Only $29.99 today, was $45.50.") == "Only $29.99 today, was $45.50."


# --- cut-off sentences and loops ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "one_line", "expected"),
    [
        (
            "Our coffee is roasted fresh every day. Each bag is packed with",
            False,
            "Our coffee is roasted fresh every day.",
        ),
        ("Roasted fresh daily! Sourced from small farms in Colombia and", False, "Roasted fresh daily!"),
        ("Our coffee is roasted fresh every day. Shop now", False, "Our coffee is roasted fresh every day. Shop now"),
        ("Our coffee is roasted fresh every day.", False, "Our coffee is roasted fresh every day."),
        ("Grab yours today! 🎉", False, "Grab yours today! 🎉"),
        ("Soft merino socks for cold mornings with the", False, "Soft merino socks for cold mornings"),
        ("Fresh Coffee Delivered With", True, "Fresh Coffee Delivered"),
        ("Fresh Coffee, Delivered Daily", True, "Fresh Coffee, Delivered Daily"),
        ("Cozy socks for and,", True, "Cozy socks"),
        ("Ergonomic chair -", True, "Ergonomic chair"),
        ("Sign in", True, "Sign in"),
        ("Learn more", True, "Learn more"),
    ],
)
def test_drop_cut_off_sentence(text: str, one_line: bool, expected: str) -> None:
    assert drop_cut_off_sentence(text, one_line=one_line) == expected


def test_strip_dangling_never_empties() -> None:
    assert strip_dangling("and the") == "and the"
    assert strip_dangling("Comfort for your") == "Comfort"


@pytest.mark.parametrize(
    ("looped", "expected"),
    [
        (
            "Stay warm and cozy, stay warm and cozy, stay warm and cozy all winter.",
            "Stay warm and cozy all winter.",
        ),
        ("Shop now. Shop now. Shop now.", "Shop now."),
        (
            "Our coffee is fresh and bold. Try it today. Our coffee is fresh and bold.",
            "Our coffee is fresh and bold. Try it today.",
        ),
        ("The the best coffee in town.", "The best coffee in town."),
        (
            "Our beans are roasted fresh every week. Our beans are roasted fresh every week for you.",
            "Our beans are roasted fresh every week for you.",
        ),
        # not loops: a word repeated across sentences, a repeated word inside a list
        ("Made with love. Love it!", "Made with love. Love it!"),
        ("Buy one, get one free.", "Buy one, get one free."),
    ],
)
def test_remove_repeated_phrases(looped: str, expected: str) -> None:
    assert remove_repeated_phrases(looped) == expected


def test_split_sentences_keeps_prices_whole() -> None:
    sentences = split_sentences("Only $29.99 today! Free shipping. Hurry")
    assert sentences == ["Only $29.99 today!", "Free shipping.", "Hurry"]


# --- emoji and channel policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No emoji here.", 0),
        ("Coffee ☕ time ✨", 2),
        ("Family 👨‍👩‍👧 fun", 1),
        ("Made in 🇺🇸", 1),
        ("Wave 👋🏽 hello ❤️", 2),
        ("🎉🎉🎉🔥🔥", 5),
    ],
)
def test_count_emoji(text: str, expected: int) -> None:
    assert count_emoji(text) == expected


@pytest.mark.parametrize("channel", list(Channel))
def test_apply_channel_policy_caps_emoji_and_exclamations(channel: Channel) -> None:
    spec = channel_spec(channel)
    flood = "OMG!!! 🎉🎉 New drop is here! 🔥 Grab yours now! Don't wait!!! 😍✨"
    out = apply_channel_policy(flood, channel)
    assert count_emoji(out) <= spec.emoji_max
    assert out.count("!") <= spec.exclamation_max
    assert "OMG" in out and "Grab yours now" in out  # words are never removed


def test_apply_channel_policy_keeps_the_earliest_and_turns_extra_bangs_into_periods() -> None:
    out = apply_channel_policy("Wow!!! Big sale ☕✨🎉 today! Shop now! 😎", Channel.EMAIL_SUBJECT)
    assert out == "Wow! Big sale ☕ today. Shop now."


# --- length ------------------------------------------------------------------------------------------------

_VOCAB_TEXT = (
    "coffee beans roasted fresh every morning our your the and with for bold smooth rich small-batch "
    "ergonomic chair supports back all day adjustable merino wool socks cozy warm winter $29.99 10% "
    "ultra-comfortable handcrafted sustainably sourced delivered door ☕ ✨ free shipping today"
)
_VOCAB = _VOCAB_TEXT.split()
_ENDS = [". ", "! ", "? ", ", ", " ", " ", " ", " "]


def _random_copy(rng: random.Random) -> str:
    words = [rng.choice(_VOCAB) + rng.choice(_ENDS) for _ in range(rng.randint(1, 140))]
    return "".join(words).strip()


def _is_clean_prefix(short: str, original: str) -> bool:
    """short is original cut at a word boundary (optionally with a '.' added), not mid-word."""
    body = short if original.startswith(short) else short.removesuffix(".")
    if not original.startswith(body):
        return False
    rest = original[len(body) :]
    return not rest or not (rest[0].isalnum() or rest[0] in "-'$%")


@pytest.mark.parametrize("channel", list(Channel))
def test_fit_length_property_without_suffix(channel: Channel) -> None:
    limit = channel_spec(channel).max_chars
    rng = random.Random(f"fit-{channel.value}")
    for _ in range(300):
        text = _random_copy(rng)
        out = fit_length(text, limit)
        assert len(out) <= limit, (text, out)
        assert _is_clean_prefix(out, text), (text, out)
        if len(text) <= limit:
            assert out == text
        elif len(text) > 2 * limit and out:
            last = re.findall(r"[\w'-]+", out)[-1].lower()
            assert last not in DANGLING_WORDS or re.search(r"[.!?]$", out), (text, out)


@pytest.mark.parametrize("channel", list(Channel))
def test_fit_length_property_keeps_suffix_intact(channel: Channel) -> None:
    limit = channel_spec(channel).max_chars
    rng = random.Random(f"suffix-{channel.value}")
    suffix = "Shop now."
    for i in range(300):
        body = _random_copy(rng)
        text = f"{body} {suffix}" if i % 2 else body  # suffix already present, or to be appended
        out = fit_length(text, limit, keep_suffix=suffix)
        assert len(out) <= limit, (text, out)
        assert out.endswith(suffix), (text, out)
        head = out.removesuffix(suffix).rstrip()
        if head:
            assert _is_clean_prefix(head, body), (text, out)


def test_fit_length_prefers_a_sentence_boundary() -> None:
    text = "Our ergonomic chair supports your back all day. It adjusts in seconds and looks great in any office."
    assert fit_length(text, 60) == "Our ergonomic chair supports your back all day."


def test_fit_length_falls_back_to_words_and_drops_dangling_ones() -> None:
    text = "Handcrafted merino socks for cold mornings with the softest feel"
    out = fit_length(text, 30)  # the 30-char cut ends '... socks for'
    assert out == "Handcrafted merino socks"
    assert fit_length("Supercalifragilistic", 10) == ""  # never mid-word


def test_fit_length_ends_shortened_prose_with_a_period() -> None:
    text = "Our blend is roasted in small batches for a rich and smooth cup every single morning."
    out = fit_length(text, 46)  # the word cut ends '... batches for a'
    assert out == "Our blend is roasted in small batches."


def test_fit_length_suffix_cases() -> None:
    assert fit_length("Cozy socks.", 60, keep_suffix="Shop now.") == "Cozy socks. Shop now."
    assert fit_length("Cozy socks. Shop now.", 60, keep_suffix="Shop now.") == "Cozy socks. Shop now."
    assert fit_length("Whatever", 5, keep_suffix="Shop now today") == "Shop"
    long = "Soft merino socks keep your feet warm all winter long. They are machine washable. Shop now."
    assert fit_length(long, 66, keep_suffix="Shop now.") == (
        "Soft merino socks keep your feet warm all winter long. Shop now."
    )


def test_length_fit_is_one_inside_and_decays_outside() -> None:
    spec = channel_spec(Channel.EMAIL_SUBJECT)
    assert length_fit("x" * spec.min_chars, Channel.EMAIL_SUBJECT) == 1.0
    assert length_fit("x" * spec.max_chars, "email_subject") == 1.0
    over = [length_fit("x" * (spec.max_chars + k), Channel.EMAIL_SUBJECT) for k in (1, 5, 20, 60)]
    under = [length_fit("x" * (spec.min_chars - k), Channel.EMAIL_SUBJECT) for k in (1, 5, 10, 15)]
    for seq in (over, under):
        assert all(0.0 < v < 1.0 for v in seq)
        assert seq == sorted(seq, reverse=True)


def test_length_reward_reads_channel_from_briefs_in_any_form() -> None:
    subject = "Your new favorite mug is here"  # 29 chars: fine for email, too short for a description
    briefs = [
        Brief(product_name="Mug", channel=Channel.EMAIL_SUBJECT),
        {"product_name": "Mug", "channel": "product_description"},
        json.dumps({"product_name": "Mug", "channel": "email_subject"}),
        {"product_name": "Mug"},  # default channel: product_description
    ]
    completions = [subject, subject, [{"role": "assistant", "content": f" {subject}"}], subject]
    rewards = length_reward(["p"] * 4, completions, briefs=briefs)
    assert rewards[0] == 1.0 and rewards[2] == 1.0
    assert rewards[1] < 0.2 and rewards[3] == rewards[1]


def test_length_reward_channel_column_wins_and_lengths_must_match() -> None:
    assert length_reward(None, ["x" * 20], channel=["search_ad_headline"]) == [1.0]
    with pytest.raises(ValueError, match="2 values"):
        sample_values("channel", 1, [{"channel": "social_post"}] * 2, {})


def test_completion_text_and_brief_field() -> None:
    assert completion_text("plain") == "plain"
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "answer"}]
    assert completion_text(messages) == "answer"
    assert brief_field({"target_sentiment": "calm"}, "target_sentiment") == "calm"
    assert brief_field(None, "channel") == Channel.PRODUCT_DESCRIPTION


# --- robustness on the worst the model emits ---------------------------------------------------------------

_GARBAGE = [
    *("Sure! Here's a subject line:", "Subject:", "Headline 2:", "I hope this helps!", "Note:", "<|im_end|>"),
    *("**", "##", "\n", "\n\n", "1.", "2.", "- ", '"', "“", "”", "(", ")", "'", "’", ":", ";", "—", "-"),
    *("!", "!!!", "?", ".", "..", ",", "☕", "😍", "👨‍👩‍👧", "🇺🇸", "#sale", "$29.99", "iPhone"),
    *("amazing", "terrible", "never", "love", "tired", "coffee", "socks", "warm", "the", "and", "with", "so"),
]


def test_cleanup_is_total_idempotent_and_within_limits_on_random_garbage() -> None:
    rng = random.Random(20240607)
    specs = [channel_spec(ch) for ch in Channel]
    for i in range(400):
        raw = " ".join(rng.choice(_GARBAGE) for _ in range(rng.randint(0, 60)))
        copy = extract_copy(raw)
        assert extract_copy(copy) == copy, raw
        assert tidy(tidy(raw)) == tidy(raw), raw
        assert "<|" not in copy
        for spec in specs:
            capped = apply_channel_policy(raw, spec)
            assert count_emoji(capped) <= spec.emoji_max and capped.count("!") <= spec.exclamation_max, raw
            assert len(fit_length(copy, spec.max_chars, keep_suffix="Shop now." if i % 2 else None)) <= spec.max_chars
            assert 0.0 < length_fit(copy, spec) <= 1.0
        assert len(remove_repeated_phrases(raw)) <= len(raw)
        assert len(drop_cut_off_sentence(copy)) <= len(copy)


@pytest.mark.parametrize(("text", "tidied"), [
    ("It is a unpredictable ride.", "It is an unpredictable ride."),  # read blind: "a unpredictable"
    ("Made of a 18/8 stainless steel.", "Made of an 18/8 stainless steel."),  # read blind: "a 18/8"
    ("An sturdy bag. A elegant vase.", "A sturdy bag. An elegant vase."),
    ("a 8-piece set", "An 8-piece set"),
    ("Rich in vitamin A and E.", "Rich in vitamin A and E."),  # a letter, not an article
    ("An LED lamp and a USB port.", "An LED lamp and a USB port."),  # acronyms sound as letters
    ("It has a LED work light, an USB port and a SPF 30.", "It has an LED work light, a USB port and an SPF 30."),
    ("A NASA badge in Grade A cotton.", "A NASA badge in Grade A cotton."),  # said as a word, a letter
    ("A union of an urban bag and a one-off print.", "A union of an urban bag and a one-off print."),
    ("Plan: A or B.", "Plan: A or B."),
])
def test_articles_agree_with_the_next_sound_where_it_is_certain(text: str, tidied: str) -> None:
    assert tidy(text) == tidied
