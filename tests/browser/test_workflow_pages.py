"""The brief form, pending approval, library and experiments pages in headless Chromium against a real
`copyloop serve` and the real model: the API's 422 next to each field; a run with `approval: human` submitted from
the form, waiting in Pending approval and resumed by approving a subset; an experiment started from approved copy,
its numbers on the page updating as events are posted through the API, concluded with one click."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import Site
from tests.browser.pages import MODEL, QUICK, all_of, find, goto, login, page_errors, shot, text_of, wait

pytestmark = pytest.mark.model


def fill(driver, name: str, value: str) -> None:
    field = find(driver, f"#brief-{name}")
    field.clear()
    field.send_keys(value)


def error_of(driver, name: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'.field[data-field="{name}"] .field-error').text


def test_brief_form_shows_the_apis_problems_next_to_each_field(site: Site, browser, screenshots: Path) -> None:
    driver = browser
    login(driver, site)
    goto(driver, site, "brief")
    find(driver, "#brief-product_name")
    schema = site.http.get("/openapi.json").json()["components"]["schemas"]["Brief"]["properties"]
    drawn = {e.get_attribute("data-field") for e in all_of(driver, "fieldset .field")}
    assert set(schema) <= drawn, f"fields missing from the form: {set(schema) - drawn}"
    for field in all_of(driver, ".brief-form input, .brief-form select, .brief-form textarea"):
        label = driver.find_elements(By.CSS_SELECTOR, f'label[for="{field.get_attribute("id")}"]')
        assert label and label[0].text.strip(), f"no label for #{field.get_attribute('id')}"

    fill(driver, "price", "12.345")
    fill(driver, "n_variants", "20")
    fill(driver, "locale", "fr")
    find(driver, ".brief-form button[type=submit]").click()
    wait(driver, lambda d: all_of(d, ".field.invalid"), QUICK, "the field errors")
    assert "at least 1 character" in error_of(driver, "product_name")
    assert error_of(driver, "price") and error_of(driver, "n_variants") and "fr" in error_of(driver, "locale")
    assert find(driver, "#brief-price").get_attribute("aria-invalid") == "true"
    described = find(driver, "#brief-price").get_attribute("aria-describedby").split()
    assert "brief-price-error" in described, "the error is tied to its field for screen readers"
    assert "refused" in find(driver, ".form-status .notice-error").text
    shot(driver, screenshots, "brief-form-errors")
    assert page_errors(driver) == []


def test_a_human_approval_is_resumed_from_the_page(site: Site, browser, screenshots: Path) -> None:
    driver = browser
    sku = "BOT-" + uuid.uuid4().hex[:6]
    login(driver, site)
    goto(driver, site, "brief")
    fill(driver, "product_name", "Trail Bottle")
    fill(driver, "sku", sku)
    fill(driver, "category", "Drinkware")
    find(driver, "#brief-features").send_keys("keeps drinks cold 24h\n750 ml")
    fill(driver, "price", "29")
    fill(driver, "audience", "hikers")
    Select(find(driver, "#brief-channel")).select_by_value("email_subject")
    fill(driver, "n_variants", "3")
    Select(find(driver, "#run-approval")).select_by_value("human")
    find(driver, ".brief-form button[type=submit]").click()
    find(driver, '.form-status .notice-ok a[href="#/approvals"]', MODEL)
    shot(driver, screenshots, "brief-form-pending")
    assert site.http.get(f"/v1/variants/{sku}").status_code == 404, "nothing is published before approval"

    goto(driver, site, "approvals")
    run = wait(driver, lambda d: next((s for s in all_of(d, "section.pending")
                                       if sku in s.text), None), QUICK, "the run in Pending approval")
    shot(driver, screenshots, "approvals")
    picks = run.find_elements(By.CSS_SELECTOR, "input.pick")
    ticked = [p for p in picks if p.is_selected()]
    assert len(ticked) >= 2, f"need two shippable variants to approve a subset, got {len(ticked)}: {run.text}"
    ticked[-1].click()  # approve all but one
    kept = [p.find_element(By.XPATH, "ancestor::article").find_element(By.CSS_SELECTOR, ".variant-text").text
            for p in picks if p.is_selected()]
    run.find_element(By.CSS_SELECTOR, 'button[data-action="approve-selected"]').click()
    wait(driver, lambda d: "Approved" in text_of(d, "main .notice-ok"), MODEL, "the approval to go through")
    wait(driver, lambda d: not any(sku in s.text for s in all_of(d, "section.pending")), QUICK,
         "the run to leave the list")

    served = site.http.get(f"/v1/variants/{sku}").json()
    assert [v["text"] for v in served["variants"]] and {v["text"] for v in served["variants"]} <= set(kept), served
    goto(driver, site, "library")
    placement = find(driver, f'section.placement[data-sku="{sku}"]')
    for text in kept:
        assert text in placement.text
    assert page_errors(driver) == []


@pytest.fixture(scope="module")
def approved_copy(site: Site) -> str:
    """A SKU with approved copy, published by a plain POST /v1/generate (the API, not the page)."""
    sku = "EXP-" + uuid.uuid4().hex[:6]
    result = site.http.post("/v1/generate", json={"brief": {
        "product_name": "Trail Bottle", "sku": sku, "category": "Drinkware", "channel": "email_subject",
        "features": ["keeps drinks cold 24h", "750 ml"], "price": 29, "audience": "hikers", "n_variants": 3}})
    assert result.status_code == 200, result.text
    served = site.http.get(f"/v1/variants/{sku}")
    assert served.status_code == 200 and len(served.json()["variants"]) >= 2, served.text
    return sku


def test_an_experiment_started_from_the_library_shows_its_numbers_and_concludes(
        site: Site, browser, screenshots: Path, approved_copy: str) -> None:
    driver = browser
    sku = approved_copy
    login(driver, site)
    goto(driver, site, "library")
    placement = find(driver, f'section.placement[data-sku="{sku}"]')
    placement.find_element(By.CSS_SELECTOR, 'button[data-action="start-experiment"]').click()
    wait(driver, lambda d: d.execute_script("return location.hash") == "#/experiments/new", QUICK, "the new form")
    assert Select(find(driver, "#exp-placement")).first_selected_option.text.startswith(sku)
    arms = all_of(driver, ".arms-pick input[type=checkbox]")
    for extra in arms[2:]:
        extra.click()  # an A/B test of the first two
    shot(driver, screenshots, "experiment-new")
    find(driver, "form.card button[type=submit]").click()
    experiment = wait(driver, lambda d: (h := d.execute_script("return location.hash")).startswith("#/experiments/")
                      and h != "#/experiments/new" and h.removeprefix("#/experiments/"), QUICK, "the experiment page")
    find(driver, 'tr[data-arm="v1"]')
    assert cell(driver, "v1", "impressions") == "0"

    events = [{"event_id": f"e{arm}{kind}{i}", "experiment_id": experiment, "type": kind, "variant": arm}
              for arm, shown, clicks in (("v1", 400, 8), ("v2", 400, 30))
              for kind, count in (("impression", shown), ("click", clicks)) for i in range(count)]
    answer = site.http.post("/v1/events", json={"events": events[:1000]})
    assert answer.status_code == 200, answer.text
    wait(driver, lambda _d: cell(driver, "v2", "impressions") == "400", QUICK, "the page to poll the new counts")
    assert cell(driver, "v2", "clicks") == "30" and cell(driver, "v1", "clicks") == "8"
    assert cell(driver, "v2", "ctr").startswith("7.5 %")
    assert "%" in cell(driver, "v2", "beat") and cell(driver, "v1", "beat") == "control"
    assert "Sample-ratio check: OK" in find(driver, ".srm").text
    assert find(driver, ".recommendation").get_attribute("data-winner") == "v2"
    assert len(all_of(driver, "svg.ctr-chart g.arm")) == 2 and all_of(driver, "svg.ctr-chart g.arm.lead")
    shot(driver, screenshots, "experiment")

    assert Select(find(driver, "#winner")).first_selected_option.get_attribute("value") == "v2"
    find(driver, 'button[data-action="conclude"]').click()
    wait(driver, lambda d: "Winner: v2" in text_of(d, ".conclude"), QUICK, "the conclusion")
    assert site.http.get(f"/v1/experiments/{experiment}").json()["status"] == "concluded"
    served = site.http.get(f"/v1/variants/{sku}").json()["variants"]
    assert served[0]["text"] in text_of(driver, 'tr[data-arm="v2"] td.copy')

    goto(driver, site, "library")
    placement = find(driver, f'section.placement[data-sku="{sku}"]')
    wait(driver, lambda _d: "Measured" in placement.text, QUICK, "the measured results in the library")
    goto(driver, site, "experiments")
    assert sku in find(driver, "main table").text
    assert page_errors(driver) == []


def cell(driver, arm: str, column: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, f'tr[data-arm="{arm}"] td[data-col="{column}"]')
    return found[0].text if found else ""
