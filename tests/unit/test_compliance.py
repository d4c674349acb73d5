"""Compliance rules engine: each rule pack fires where it should, not where it shouldn't, and its fixes hold."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from copyloop.brief import Brief
from copyloop.errors import CopyloopError
from copyloop.result import Finding
from copyloop.tools.compliance import (
    REWARD_FLOOR,
    check_compliance,
    compliance_penalty,
    compliance_reward,
    fix_findings,
    is_blocking,
    rules,
)
from copyloop.tools.rulebook import Rulebook, using_rules
from copyloop.tools.text_cleanup import tidy

FDA = ("These statements have not been evaluated by the Food and Drug Administration. This product is not intended "
       "to diagnose, treat, cure, or prevent any disease.")


pytestmark = pytest.mark.usefixtures("builtin_rules")


def make_brief(**overrides) -> Brief:
    fields = {
        "product_name": "AquaPeak Bottle",
        "category": "Drinkware",
        "features": ["Keeps drinks cold for 24 hours", "750 ml capacity"],
        "price": 29,
    }
    fields.update(overrides)
    return Brief(**fields)


def rule_ids(text: str, brief: Brief) -> list[str]:
    return [f.rule_id for f in check_compliance(text, brief)]


# (rule id, channel, text that must fire, near miss that must not)
CASES = [
    ("claims.disease", "product_description", "It treats acne overnight.", "A sweet treat for your skin."),
    ("claims.disease", "product_description", "Helps prevent heart disease.", "Helps prevent spills in your bag."),
    ("claims.cure", "product_description", "The cure for dull mornings.", "Cured in oak barrels."),
    ("claims.guaranteed", "product_description", "Guaranteed results in a week.", "Results you will notice."),
    ("claims.guaranteed", "product_description", "100% guaranteed satisfaction.", "Satisfaction is our goal."),
    ("claims.risk_free", "product_description", "Try it risk-free today.", "Try it today."),
    ("claims.free", "product_description", "Enjoy free shipping.", "Gluten-free and sugar free."),
    ("claims.free", "product_description", "A free gift inside.", "Feel free to ask."),
    ("claims.free", "product_description", "Free bottle with a case.", "Free up your hands, hands-free."),
    ("claims.the_number_one", "product_description", "The #1 bottle for hikers.", "The 1 bottle for hikers."),
    ("claims.number_one", "product_description", "Rated #1 by hikers.", "Rated highly by hikers, #10 on our list."),
    ("claims.the_best", "product_description", "The best bottle for hikers.", "A bottle for hikers."),
    ("claims.best", "product_description", "Best for long hikes.", "Look your best on long hikes."),
    ("claims.best", "product_description", "Best-in-class insulation.", "A best-selling bottle."),
    ("claims.best", "product_description", "Our best bottle yet.", "Best of all, your best friend."),
    ("claims.worlds_best", "product_description", "The world's best bottle.", "A bottle known worldwide."),
    ("claims.clinically_proven", "product_description", "Clinically proven hydration.", "Hydration, tested daily."),
    ("claims.doctor_recommended", "product_description", "Doctor recommended.", "Recommended by hikers."),
    ("claims.fda_approved", "product_description", "FDA-approved design.", "FDA guidance informs us."),
    ("claims.miracle", "product_description", "A miracle bottle.", "A remarkable bottle."),
    ("claims.instant_results", "product_description", "Instant results, every sip.", "Instantly cold, every sip."),
    ("claims.weight_loss", "product_description", "Lose 10 pounds this month.", "Weighs under a pound."),
    ("spam.act_now", "email_subject", "Act now: cold drinks await", "Actually cold drinks await"),
    ("spam.hundred_free", "email_subject", "A 100% free AquaPeak gift", "A 100% steel AquaPeak lid"),
    ("spam.click_here", "push_notification", "Click here for cold drinks", "Tap in for cold drinks all day"),
    ("spam.limited_time", "email_subject", "Limited time only: AquaPeak", "Time for AquaPeak"),
    ("spam.urgent", "push_notification", "URGENT: your AquaPeak awaits", "Your AquaPeak awaits"),
    ("spam.money_signs", "email_subject", "Save $$$ on AquaPeak", "Save on AquaPeak"),
    ("spam.prize", "email_subject", "You have won an AquaPeak", "You will love AquaPeak"),
    ("spam.all_caps", "email_subject", "HUGE savings on AquaPeak", "Huge savings on AquaPeak, USB lid"),
    ("spam.exclamations", "push_notification", "Cold! Really cold!", "Cold drinks, really cold!"),
    ("spam.exclamation_run", "email_subject", "Cold drinks!!", "Cold drinks!"),
]


@pytest.mark.parametrize(("rule_id", "channel", "positive", "negative"), CASES)
def test_rule_fires_on_positive_and_not_on_near_miss(rule_id, channel, positive, negative):
    brief = make_brief(channel=channel)
    assert rule_id in rule_ids(positive, brief)
    assert rule_id not in rule_ids(negative, brief)


@pytest.mark.parametrize(("rule_id", "channel", "positive", "negative"), CASES)
def test_fix_removes_the_finding(rule_id, channel, positive, negative):
    brief = make_brief(channel=channel)
    findings = check_compliance(positive, brief)
    fixed = fix_findings(positive, findings, brief)
    assert rule_id not in rule_ids(fixed, brief)
    assert all(f.fixed for f in findings if f.rule_id == rule_id)
    assert "  " not in fixed and " ," not in fixed and " ." not in fixed


@pytest.mark.parametrize(
    "text",
    [
        "The best bottle! Guaranteed to last. Cures thirst, treats insomnia — 100% risk-free. Only $19.",
        "URGENT!!! ACT NOW for 100% FREE stuff $$$ — click here 😀",
        "Ünïcödé 🧊 bottle, the world’s best, #1 rated, miracle-grade.",
        "",
        "   ",
        "🔥🔥🔥",
    ],
)
def test_spans_are_exact_and_odd_input_does_not_crash(text):
    for channel in ("product_description", "email_subject"):
        brief = make_brief(channel=channel, banned_words=["bottle", "c++", "$$"])
        findings = check_compliance(text, brief)
        for f in findings:
            assert text[f.span[0]:f.span[1]] == f.matched
        assert isinstance(fix_findings(text, findings, brief), str)


def test_rule_ids_are_unique_and_namespaced():
    ids = [r.id for r in rules()]
    assert len(ids) == len(set(ids))
    assert all(i.split(".")[0] in {"claims", "spam", "disclaimer"} for i in ids)


def test_the_best_is_softened_with_grammar_and_capitals_kept():
    brief = make_brief()
    text = "The best bottle for hikers. It is the best way to stay cool."
    assert fix_findings(text, check_compliance(text, brief), brief) == (
        "A great bottle for hikers. It is a great way to stay cool."
    )


def test_drop_sentence_keeps_other_sentences_and_capitalises():
    brief = make_brief()
    text = "AquaPeak keeps drinks cold for 24 hours. It cures hangovers. Shop now."
    fixed = fix_findings(text, check_compliance(text, brief), brief)
    assert fixed == "AquaPeak keeps drinks cold for 24 hours. Shop now."


def test_removal_at_sentence_start_recapitalises():
    brief = make_brief(channel="email_subject")
    text = "Urgent: your AquaPeak is waiting"
    assert fix_findings(text, check_compliance(text, brief), brief) == "Your AquaPeak is waiting"


def test_drop_sentence_spares_a_sentence_with_a_required_word():
    brief = make_brief(required_words=["AquaPeak"])
    text = "AquaPeak is a miracle for hikers. Shop now."
    fixed = fix_findings(text, check_compliance(text, brief), brief)
    assert "AquaPeak" in fixed
    assert "claims.miracle" not in rule_ids(fixed, brief)


# ---------------------------------------------------------------------------------------------- free and terms


def test_free_is_fine_when_qualified_by_terms():
    brief = make_brief(features=["Free shipping on orders over $50"])
    assert check_compliance("Free shipping on orders over $50.", brief) == []
    assert check_compliance("Free engraving, terms apply.", make_brief()) == []


def test_free_threshold_must_itself_be_in_the_brief():
    text = "Free shipping on orders over $50."
    assert rule_ids(text, make_brief()) == ["facts.invented_price"]


def test_free_stated_in_brief_is_allowed_but_other_free_offers_are_not():
    brief = make_brief(features=["Free shipping"])
    assert "claims.free" not in rule_ids("Free shipping, always.", brief)
    assert "claims.free" in rule_ids("A free gift with every bottle.", brief)


def test_free_without_terms_warns_on_pages_but_blocks_email():
    page = [f for f in check_compliance("Enjoy free shipping.", make_brief()) if f.rule_id == "claims.free"]
    mail = [f for f in check_compliance("Free shipping on AquaPeak", make_brief(channel="email_subject"))
            if f.rule_id == "claims.free"]
    assert [f.severity for f in page] == ["warn"]
    assert [f.severity for f in mail] == ["block"]


def test_free_fix_appends_terms():
    brief = make_brief()
    fixed = fix_findings("Enjoy free shipping", check_compliance("Enjoy free shipping", brief), brief)
    assert fixed == "Enjoy free shipping. Terms apply."
    assert check_compliance(fixed, brief) == []


def test_claim_stated_in_brief_is_allowed():
    brief = make_brief(features=["Clinically proven to reduce dryness", "30-day money-back guarantee"])
    text = "Clinically proven to reduce dryness, with a 30-day money-back guarantee."
    assert check_compliance(text, brief) == []
    assert "claims.guaranteed" in rule_ids("Guaranteed results for 30-day use.", brief)


# ---------------------------------------------------------------------------------------------- channels


@pytest.mark.parametrize("text", ["ACT NOW!! Click here for $$$", "URGENT: you have won"])
def test_spam_rules_only_apply_to_email_and_push(text):
    for channel in ("email_subject", "push_notification"):
        assert any(i.startswith("spam.") for i in rule_ids(text, make_brief(channel=channel)))
    for channel in ("product_description", "social_post", "search_ad_headline", "product_title"):
        assert not any(i.startswith("spam.") for i in rule_ids(text, make_brief(channel=channel)))


def test_all_caps_is_case_sensitive_and_allows_brief_names():
    brief = make_brief(channel="email_subject", brand="ASUS")
    assert rule_ids("ASUS cold drinks, big SAVINGS", brief) == ["spam.all_caps"]
    assert rule_ids("Asus cold drinks, big savings", brief) == []
    fixed = fix_findings("ASUS big SAVINGS", check_compliance("ASUS big SAVINGS", brief), brief)
    assert fixed == "ASUS big Savings"


# ---------------------------------------------------------------------------------------------- banned words


def test_banned_words_block_with_exact_spans_and_are_removed():
    brief = make_brief(banned_words=["cheap", "knock off"])
    text = "A Cheap bottle, no knock-off. Not cheaper though."
    findings = [f for f in check_compliance(text, brief) if f.rule_id == "brand.banned_word"]
    assert [f.matched for f in findings] == ["Cheap", "knock-off"]
    assert all(f.severity == "block" and text[f.span[0]:f.span[1]] == f.matched for f in findings)
    fixed = fix_findings(text, findings, brief)
    assert fixed == "A bottle, no. Not cheaper though."
    assert "brand.banned_word" not in rule_ids(fixed, brief)


def test_banned_word_with_regex_characters_is_literal():
    brief = make_brief(banned_words=["c++", "a.b"])
    assert rule_ids("Built with c++ care", brief) == ["brand.banned_word"]
    assert rule_ids("Built with c care and axb", brief) == []


# ---------------------------------------------------------------------------------------------- disclaimers


def test_supplements_need_the_fda_statement_on_product_pages():
    brief = make_brief(category="Dietary Supplements", features=["Vitamin D3"], price=None)
    text = "Vitamin D3 for everyday wellness. Order yours today."
    findings = check_compliance(text, brief)
    missing = [f for f in findings if f.rule_id == "disclaimer.supplement_fda"]
    assert len(missing) == 1 and missing[0].span == (len(text), len(text)) and missing[0].matched == ""
    fixed = fix_findings(text, findings, brief)
    assert fixed.endswith(FDA)
    assert check_compliance(fixed, brief) == []


def test_fda_statement_wording_is_not_a_health_claim():
    brief = make_brief(category="Vitamins", price=None)
    assert check_compliance(f"A daily vitamin. {FDA}", brief) == []
    assert "claims.cure" in rule_ids(f"It cures colds. {FDA}", brief)


def test_supplement_disclaimer_not_required_off_product_pages():
    brief = make_brief(category="Vitamins", channel="email_subject")
    assert "disclaimer.supplement_fda" not in rule_ids("Your daily vitamin is back", brief)


@pytest.mark.parametrize(("category", "required"), [("Wine", True), ("Craft Beer", True), ("Wine glasses", False),
                                                     ("Non-alcoholic beer", False), ("Drinkware", False)])
def test_alcohol_needs_responsible_drinking_line(category, required):
    brief = make_brief(category=category)
    text = "AquaPeak pairs with any evening. Order yours today."
    assert ("disclaimer.alcohol" in rule_ids(text, brief)) is required
    fixed = fix_findings(text, check_compliance(text, brief), brief)
    assert fixed.endswith("Please enjoy responsibly.") is required
    assert "disclaimer.alcohol" not in rule_ids(fixed, brief)


# ---------------------------------------------------------------------------------------------- user rule packs


def write(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")


def test_user_pack_adds_rules_and_disables_builtin_ones(tmp_path):
    write(tmp_path / "compliance" / "house.yaml", """
        rules:
          - id: house.sale
            pattern: '\\bsale\\b'
            severity: warn
            message: "We don't say sale."
            fix: {replace: "offer"}
          - id: claims.best
            enabled: false
    """)
    brief = make_brief()
    assert "claims.best" in rule_ids("Best sale of the year.", brief)
    with using_rules(Rulebook(tmp_path)):
        ids = rule_ids("Best sale of the year.", brief)
        assert "house.sale" in ids and "claims.best" not in ids
        assert fix_findings("Our sale.", check_compliance("Our sale.", brief), brief) == "Our offer."
    assert "house.sale" not in rule_ids("Best sale of the year.", brief)  # the built-in rules are untouched


def test_user_pack_with_same_name_replaces_builtin_pack(tmp_path):
    write(tmp_path / "compliance" / "claims.yaml", """
        severity_weights: {block: 2.0, warn: 0.5, info: 0.0}
        rules:
          - id: claims.only
            pattern: 'zap'
            severity: block
            message: "no zap"
    """)
    brief = make_brief()
    with using_rules(Rulebook(tmp_path)):
        assert rule_ids("The best zap, guaranteed.", brief) == ["claims.only"]
        assert compliance_penalty(check_compliance("zap", brief)) == 2.0
        assert fix_findings("zap", check_compliance("zap", brief), brief) == "zap"


@pytest.mark.parametrize(
    "rule",
    ["{id: bad.regex, pattern: '(unclosed'}", "{id: bad.severity, pattern: x, severity: fatal}",
     "{id: bad.channel, pattern: x, channels: [fax]}", "{id: bad.fix, pattern: x, fix: {shout: true}}"],
)
def test_invalid_user_rules_raise_readable_errors(tmp_path, rule):
    write(tmp_path / "compliance" / "broken.yaml", f"rules:\n  - {rule}\n")
    with using_rules(Rulebook(tmp_path)), pytest.raises(CopyloopError, match="broken"):
        check_compliance("text", make_brief())


# ---------------------------------------------------------------------------------------------- scoring


def finding(severity: str, fixed: bool = False) -> Finding:
    return Finding(rule_id="x", severity=severity, span=(0, 0), matched="", message="m", fixed=fixed)


def test_penalty_and_blocking_ignore_fixed_findings():
    findings = [finding("block"), finding("warn"), finding("info"), finding("block", fixed=True)]
    assert compliance_penalty(findings) == pytest.approx(1.3)
    assert is_blocking(findings)
    assert not is_blocking([finding("warn"), finding("block", fixed=True)])
    assert compliance_penalty([]) == 0.0


def test_compliance_reward_shape_and_floor():
    brief = make_brief()
    completions = [
        "AquaPeak keeps drinks cold for 24 hours.",
        "AquaPeak cures thirst.",
        "Best bottle. It cures colds, treats flu, guaranteed results, a miracle, risk-free, FDA approved.",
        "   ",
        [{"role": "assistant", "content": "The best AquaPeak bottle."}],
    ]
    rewards = compliance_reward(["p"] * 5, completions, [brief])
    assert rewards[0] == 1.0
    assert rewards[1] == 0.0
    assert rewards[2] == REWARD_FLOOR
    assert rewards[3] == 0.0
    assert rewards[4] == pytest.approx(0.7)


def test_compliance_reward_needs_one_brief_per_completion():
    brief = make_brief()
    with pytest.raises(CopyloopError):
        compliance_reward(["p"] * 3, ["a", "b", "c"], [brief, brief])
    assert compliance_reward(["p"], ["AquaPeak"], None, brief=[brief.model_dump(mode="json")]) == [1.0]


def test_stale_findings_are_not_applied():
    brief = make_brief()
    findings = check_compliance("The best bottle.", brief)
    assert fix_findings("A different text.", findings, brief) == "A different text."
    assert not any(f.fixed for f in findings)


@pytest.mark.parametrize(
    ("messy", "clean"),
    [
        ("Shop  now , today .", "Shop now, today."),
        (": , Cold drinks", "Cold drinks"),
        ("Cold drinks, .", "Cold drinks."),
        ("Cold drinks ( ) now -", "Cold drinks now"),
        ("Wait... what", "Wait... what"),
    ],
)
def test_tidy(messy, clean):
    assert tidy(messy) == clean


@pytest.mark.parametrize("text", [
    "Certified by the North America Coffee Board, it is a dream.",
    "An award-winning roast for your mornings.",
    "Approved by a watchdog agency near you.",
])
def test_invented_certifications_and_awards_are_blocked(text: str) -> None:
    brief = make_brief()
    findings = [f for f in check_compliance(text, brief) if f.rule_id == "claims.certified"]
    assert findings and findings[0].severity == "block"
    assert text[findings[0].span[0]:findings[0].span[1]] == findings[0].matched


def test_a_certification_the_brief_states_is_allowed() -> None:
    brief = make_brief(features=["certified by the Rainforest Alliance"])
    text = "Certified by the Rainforest Alliance, so every cup feels good."
    assert not [f for f in check_compliance(text, brief) if f.rule_id == "claims.certified"]
