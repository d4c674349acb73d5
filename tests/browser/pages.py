"""What the browser tests do on the page: log in, wait for conditions (never for a fixed time), save screenshots,
measure horizontal overflow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Site

QUICK = 60  # seconds: anything but a model run
MODEL = 1200  # seconds: a run of the real model on a busy 2-core machine


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = QUICK,
         what: str = "the page") -> Any:
    """Wait until `condition(driver)` is truthy and return it; fails naming `what` and showing the page's text."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.25,  # an element redrawn while looked at: look again
                             ignored_exceptions=[StaleElementReferenceException]).until(condition)
    except Exception as exc:
        text = driver.find_element(By.TAG_NAME, "body").text[-3000:]
        raise AssertionError(f"timed out waiting for {what} at {driver.current_url}; the page says:\n{text}") from exc


def find(driver: WebDriver, css: str, timeout: float = QUICK) -> WebElement:
    """The first visible element matching `css`, once there is one."""
    def visible(d: WebDriver) -> WebElement | None:
        return next((e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None)
    return wait(driver, visible, timeout, f"{css!r}")


def all_of(driver: WebDriver, css: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, css)


def text_of(driver: WebDriver, css: str) -> str:
    return "\n".join(e.text for e in all_of(driver, css))


def goto(driver: WebDriver, site: Site, route: str) -> None:
    """Open a page by its hash route ("library", "chat/abc") and wait for its heading to be drawn."""
    driver.get(f"{site.url}/#/{route}")
    find(driver, "h1.page-title")


def login(driver: WebDriver, site: Site, key: str | None = None) -> None:
    """Log in through the login form with the keyboard (type, Enter); waits for the brand in the header."""
    driver.get(f"{site.url}/#/login")
    wait(driver, lambda d: d.execute_script("return location.hash") in ("#/login", "#/chat"), what="the login page")
    if driver.execute_script("return location.hash") == "#/chat":
        return
    field = find(driver, "#api-key")
    field.clear()
    field.send_keys(key or site.key, Keys.ENTER)
    wait(driver, lambda d: d.find_element(By.ID, "brand-name").text == site.brand, what="the brand in the header")


def logout(driver: WebDriver, site: Site) -> None:
    """Forget the key as the Log out button does (on the site's own page: storage belongs to its origin)."""
    driver.get(f"{site.url}/app/favicon.svg")
    driver.execute_script("sessionStorage.clear()")


def shot(driver: WebDriver, folder: Path, name: str) -> Path:
    """A screenshot of the whole page (the window grown to the page's height for the shot)."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)")
    driver.set_window_size(width, min(max(height, full + 120), 6000))
    driver.execute_script("window.scrollTo(0, 0)")
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)
    return path


def horizontal_overflow(driver: WebDriver) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no horizontal scroll)."""
    return driver.execute_script(
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth")


def page_errors(driver: WebDriver) -> list[str]:
    """Script errors the browser logged (failed requests the page handles itself are not counted)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and e.get("source") != "network"]
