"""The words every layer shares: where copy runs (`Channel`) and what its call to action asks (`CtaGoal`).

A leaf module (it imports nothing of copyloop), so the brief, the channel rules and the agents can all use these
without importing one another.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where the copy will run; each has its own length and style limits (rules/channels.yaml)."""

    PRODUCT_DESCRIPTION = "product_description"
    PRODUCT_TITLE = "product_title"
    EMAIL_SUBJECT = "email_subject"
    PUSH_NOTIFICATION = "push_notification"
    SEARCH_AD_HEADLINE = "search_ad_headline"
    SOCIAL_POST = "social_post"


class CtaGoal(StrEnum):
    """What the call to action asks the reader to do (rules/ctas.yaml)."""

    BUY = "buy"
    PRE_ORDER = "pre_order"
    SIGN_UP = "sign_up"
    LEARN_MORE = "learn_more"
    SUBSCRIBE = "subscribe"
    VISIT_STORE = "visit_store"
