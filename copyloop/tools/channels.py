"""Channel limits and style policy, read from rules/channels.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from copyloop.tools.rulebook import load_rules
from copyloop.vocabulary import Channel


@dataclass(frozen=True)
class ChannelSpec:
    """How long copy for a channel may be and what punctuation it tolerates."""

    channel: Channel
    label: str
    min_chars: int
    max_chars: int
    max_new_tokens: int
    candidates: int
    spares: int
    passes: int
    emoji_max: int
    exclamation_max: int
    sentences: int
    form: str
    sentiment: tuple[float, float]
    name: str = "any"  # "full": the product's full name where it fits; "any": a short name will do; "brand": or the
    # brand alone
    cta: bool = True  # whether copy on this channel ends in a call to action (a product title does not)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentiment", tuple(self.sentiment))


def channel_spec(channel: Channel | str) -> ChannelSpec:
    """The spec for one channel."""
    channel = Channel(channel)
    raw = load_rules("channels.yaml")[channel.value]
    return ChannelSpec(channel=channel, **raw)


def length_ok(text: str, channel: Channel | str) -> bool:
    """Whether the text fits the channel's character limits."""
    spec = channel_spec(channel)
    return spec.min_chars <= len(text) <= spec.max_chars
