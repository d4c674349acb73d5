"""The chat page in headless Chromium against a real `copyloop serve` and the real model: log in, describe a
product, answer the question, watch progress arrive, get variant cards, edit one, approve two, find them in the
library and under /v1/variants/{sku}, resume the thread after a server restart and a reload; keyboard-only use and
phone width."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.conftest import Site
from tests.browser.pages import (
    MODEL,
    QUICK,
    all_of,
    find,
    goto,
    horizontal_overflow,
    login,
    logout,
    page_errors,
    shot,
    text_of,
    wait,
)

pytestmark = pytest.mark.model

SKU = "TB-750"


def active(driver) -> dict:
    return driver.execute_script(
        "const e = document.activeElement; return {tag: e.tagName, id: e.id, text: (e.innerText || '').trim(),"
        " outline: getComputedStyle(e).outlineStyle};")


def tab_until(driver, predicate, backwards: bool = False, most: int = 30) -> dict:
    """Press Tab (or Shift+Tab) until the focused element satisfies `predicate`."""
    for _ in range(most):
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB) if backwards else \
            driver.switch_to.active_element.send_keys(Keys.TAB)
        focused = active(driver)
        if predicate(focused):
            return focused
    raise AssertionError(f"Tab never reached the element; last focused: {active(driver)}")


def test_login_navigation_and_logout_with_the_keyboard_only(site: Site, browser, screenshots: Path) -> None:
    driver = browser
    logout(driver, site)
    driver.get(site.url + "/")
    wait(driver, lambda d: d.execute_script("return location.hash") == "#/login", what="the login redirect")
    shot(driver, screenshots, "login")
    focused = tab_until(driver, lambda f: f["id"] == "api-key")
    assert focused["outline"] != "none", "the focused field must show where the focus is"
    driver.switch_to.active_element.send_keys("cl_not_a_key", Keys.ENTER)
    alert = find(driver, "#login-status .notice-error")
    assert "unknown or revoked" in alert.text
    assert driver.find_element(By.ID, "api-key").get_attribute("aria-invalid") == "true"
    field = driver.switch_to.active_element
    assert field.get_attribute("id") == "api-key", "after a refused key the focus is back on the field"
    field.clear()
    field.send_keys(site.key, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "brand-name").text == site.brand, what="the brand in the header")
    stored = driver.execute_script("return [sessionStorage.getItem('copyloop.key'), localStorage.length,"
                                   " document.cookie]")
    assert stored == [site.key, 0, ""], "the key lives in sessionStorage only"
    assert find(driver, "h1.page-title").text == "Chat"

    focused = tab_until(driver, lambda f: f["tag"] == "A" and f["text"] == "Library", backwards=True)
    assert focused["outline"] != "none"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.execute_script("return location.hash") == "#/library", what="the library")
    wait(driver, lambda _d: active(driver)["text"] == "Library" and active(driver)["tag"] == "H1",
         what="the focus on the library's heading")
    tab_until(driver, lambda f: f["text"] == "Log out", backwards=True)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, lambda d: d.execute_script("return location.hash") == "#/login", what="the login page")
    assert driver.execute_script("return sessionStorage.getItem('copyloop.key')") is None
    assert not driver.find_element(By.ID, "who").is_displayed()
    assert page_errors(driver) == []


def test_chat_writes_copy_that_is_edited_approved_and_served(site: Site, browser, screenshots: Path) -> None:
    driver = browser
    login(driver, site)
    goto(driver, site, "chat")
    send(driver, "make me something catchy for hikers, playful tone, email subject line")
    missing = find(driver, ".understood .missing", QUICK * 5)
    assert missing.get_attribute("data-field") == "product_name", text_of(driver, ".understood")
    assert "hikers" in text_of(driver, ".understood").lower()
    thread = wait(driver, lambda d: d.execute_script("return location.hash").removeprefix("#/chat/") or None,
                  what="the thread id in the address")
    shot(driver, screenshots, "chat-question")

    started = time.monotonic()
    send(driver, f"it's an insulated steel bottle, 750 ml, keeps drinks cold 24h, $29, SKU {SKU}, 3 variants")
    first = find(driver, "#progress-live .progress-item", MODEL)  # streamed before the run ends
    assert first.text.strip()
    cards = wait(driver, lambda d: all_of(d, ".variants-box article.variant") or None, MODEL, "the variant cards")
    print(f"\nchat: brief sent -> first variant card in {time.monotonic() - started:.1f} s")
    steps = [e.get_attribute("data-node") for e in all_of(driver, ".progress-item")]
    assert len(steps) >= 3 and len(set(steps)) >= 3, f"progress should name the workflow's nodes: {steps}"
    assert not all_of(driver, ".understood .missing"), text_of(driver, ".understood")
    assert thread == driver.execute_script("return location.hash").removeprefix("#/chat/")
    card = cards[0]
    for part in ("Sentiment", "Novelty", "Predicted CTR"):
        assert part in card.text
    assert card.find_elements(By.CSS_SELECTOR, "details.trace"), "each card shows the agents' trace"
    assert all_of(driver, ".followups button.chip"), "follow-ups are offered as buttons"
    shot(driver, screenshots, "chat-variants")

    # edit one inline: saved, re-checked by the same agents, the marketer's edit in its trace
    name = find(driver, '.understood .field-value[data-field="product_name"] dd').text
    ok = [c.get_attribute("data-number") for c in cards if "blocked" not in c.get_attribute("class")]
    assert ok, f"no shippable variant: {text_of(driver, '.cards')}"
    number = ok[0]
    find(driver, f'article[data-number="{number}"] button[data-action="edit"]').click()
    area = find(driver, f'form.editing[data-number="{number}"] textarea')
    edited = f"Enjoy the {name} - Buy Now"  # within the channel: positive, 15-60 characters
    area.clear()
    area.send_keys(edited)
    area.submit()
    wait(driver, lambda d: "marketer" in d.find_element(By.CSS_SELECTOR, f'article[data-number="{number}"] '
                                                                           "details.trace").get_attribute("textContent"),
         QUICK * 5, "the edit in the trace")
    edited_card = find(driver, f'article[data-number="{number}"]')
    assert edited_card.find_element(By.CSS_SELECTOR, ".variant-text").text == edited
    assert "blocked" not in edited_card.get_attribute("class"), f"the edit was held back: {edited_card.text}"
    shot(driver, screenshots, "chat-edited")

    # approve two, the edited one among them: tick both, one click
    cards = all_of(driver, ".variants-box article.variant")
    ok = [c.get_attribute("data-number") for c in cards if "blocked" not in c.get_attribute("class")]
    assert len(ok) >= 2, f"need two shippable variants to approve, got {len(ok)}: {text_of(driver, '.cards')}"
    picked = [number, *[n for n in ok if n != number][:1]]
    for n in picked:
        find(driver, f'article[data-number="{n}"] input.pick').click()
    find(driver, 'button[data-action="approve-selected"]').click()
    wait(driver, lambda d: len(all_of(d, "article.variant.approved")) == 2, MODEL, "two approved cards")
    approved = [e.text for e in all_of(driver, "article.variant.approved .variant-text")]
    shot(driver, screenshots, "chat-approved")

    # a reload after a server restart resumes the thread: messages, variants and approvals
    site.restart()
    driver.refresh()
    wait(driver, lambda d: len(all_of(d, "article.variant.approved")) >= 2, QUICK, "the resumed thread")
    assert [e.text for e in all_of(driver, "article.variant.approved .variant-text")] == approved
    assert all_of(driver, f'.thread-list a[href="#/chat/{thread}"][aria-current="page"]'), "listed among the chats"
    assert len(all_of(driver, ".messages .message.user")) == 3

    goto(driver, site, "library")
    placement = find(driver, f'section.placement[data-sku="{SKU}"]')
    for text in approved:
        assert text in placement.text
    shot(driver, screenshots, "library")
    served = site.http.get(f"/v1/variants/{SKU}").json()
    assert {v["text"] for v in served["variants"]} >= set(approved), served

    # back in the thread: Drop a card nobody approved, then a follow-up button; each is a message the chat answers
    goto(driver, site, f"chat/{thread}")
    find(driver, "article.variant", QUICK)
    cards = all_of(driver, ".variants-box article.variant")
    spare = [c.get_attribute("data-number") for c in cards if "approved" not in c.get_attribute("class")]
    if spare:
        find(driver, f'article[data-number="{spare[-1]}"] button[data-action="drop"]').click()
        wait(driver, lambda d: len(all_of(d, ".variants-box article.variant")) == len(cards) - 1, QUICK * 5,
             "the dropped card gone")
    chips = {e.text: e for e in all_of(driver, ".followups button.chip")}
    chip = next((t for t in ("another CTA", "shorter") if t in chips), None)
    assert chip, f"no quick follow-up among {sorted(chips)}"
    chips[chip].click()
    wait(driver, lambda d: len(all_of(d, ".messages .message.user")) == 4 + bool(spare), QUICK * 5,
         f"the {chip!r} button sent as a message")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".composer button[type=submit]").is_enabled(), MODEL,
         f"the answer to {chip!r}")
    shot(driver, screenshots, "chat-followup")
    assert page_errors(driver) == []


def test_pages_fit_a_phone_screen(site: Site, browser, screenshots: Path) -> None:
    driver = browser
    login(driver, site)
    size = driver.get_window_size()
    driver.set_window_size(390, 844)
    try:
        for route in ("chat", "brief", "library", "experiments", "approvals"):
            goto(driver, site, route)
            find(driver, "main p")  # drawn
            wait(driver, lambda d: "Loading" not in d.find_element(By.ID, "main").text, QUICK, f"{route} loaded")
            assert horizontal_overflow(driver) <= 0, f"#/{route} scrolls sideways at 390 px"
            shot(driver, screenshots, f"phone-{route}")
        goto(driver, site, "chat")
        wait(driver, lambda d: all_of(d, ".thread-list li"), QUICK, "the chat list")
        if all_of(driver, ".thread-list a"):  # a chat with variant cards: the widest content there is
            find(driver, ".thread-list a").click()
            find(driver, "article.variant", QUICK)
            assert horizontal_overflow(driver) <= 0, "a chat with variant cards scrolls sideways at 390 px"
            shot(driver, screenshots, "phone-chat-variants")
    finally:
        driver.set_window_size(size["width"], size["height"])


def send(driver, text: str) -> None:
    box = find(driver, "#message")
    wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".composer button[type=submit]").is_enabled(), MODEL,
         "the composer to be free")
    box.clear()
    box.send_keys(text)
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(driver, lambda d: text in text_of(d, ".messages .message.user"), QUICK, "the message in the conversation")
