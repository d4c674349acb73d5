#!/usr/bin/env python3
"""Push copyloop's approved copy for one SKU into a Mailchimp campaign.

Reads the served copy from copyloop (the best approved variant first, or an experiment's winner once it is
concluded) and writes it into a draft Mailchimp campaign:

  GET   {copyloop}/v1/variants/{sku}?channel=email_subject        -> subject line
  GET   {copyloop}/v1/variants/{sku}?channel=product_description  -> body (and preview text: its first sentence)
  PATCH https://{dc}.api.mailchimp.com/3.0/campaigns/{campaign}         {"settings": {subject_line, preview_text}}
  PUT   https://{dc}.api.mailchimp.com/3.0/campaigns/{campaign}/content {"html": ...}

copyloop has no separate email-body channel: the body is the SKU's product description. Generate both first
(two jobs, one per channel, same `sku`). Mailchimp only accepts edits to campaigns that have not been sent.

    export COPYLOOP_API_KEY=cl_...  MAILCHIMP_API_KEY=0123456789abcdef0123456789abcdef-us21
    python examples/integrations/mailchimp_push.py --copyloop-url https://copyloop.example.com \\
        --campaign 5f3c2a1b9d --sku ACME-TENT-2P --dry-run

Exit status: 0 done, 1 a service refused or could not be reached (one line on stderr), 2 bad arguments.
Needs only the standard library and httpx.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from typing import Any
from urllib.parse import quote

import httpx

SUBJECT_CHANNEL = "email_subject"
BODY_CHANNEL = "product_description"
PREVIEW_MAX_CHARS = 150  # Mailchimp shows about this much of the preview text
TIMEOUT_SECONDS = 15.0
_DC = re.compile(r"^[a-z]{2,4}[0-9]{1,3}$")


class PushError(Exception):
    """A failure reported as one line, without a traceback."""


def mailchimp_base_url(api_key: str, override: str | None = None) -> str:
    """The Marketing API root: https://<dc>.api.mailchimp.com, the data center being the key's suffix."""
    if override:
        return override.rstrip("/")
    _, dash, dc = api_key.rpartition("-")
    if not dash or not _DC.match(dc):
        raise PushError("the Mailchimp API key should end in its data center, like '…-us21' "
                        "(Mailchimp: Profile > Extras > API keys)")
    return f"https://{dc}.api.mailchimp.com"


def _detail(response: httpx.Response) -> str:
    """The human part of an error body: copyloop's `error`/`detail`, Mailchimp's `title: detail`."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if not isinstance(data, dict):
        return str(data)[:300]
    if "title" in data and "detail" in data:  # Mailchimp's problem documents
        return f"{data['title']}: {data['detail']}"
    detail = data.get("detail")
    if isinstance(detail, str):
        return detail
    message = str(data.get("error") or "")
    if isinstance(detail, list):
        fields = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in detail if isinstance(d, dict))
        message = f"{message} ({fields})" if fields else message
    return message or json.dumps(data)[:300]


def fetch_copy(client: httpx.Client, base_url: str, api_key: str, sku: str, channel: str,
               segment: str | None) -> list[dict[str, Any]]:
    """The served variants for a SKU and channel, best first."""
    params = {"channel": channel, **({"segment": segment} if segment else {})}
    url = f"{base_url.rstrip('/')}/v1/variants/{quote(sku, safe='')}"
    try:
        response = client.get(url, params=params, headers={"X-API-Key": api_key})
    except httpx.HTTPError as exc:
        raise PushError(f"cannot reach copyloop at {base_url}: {exc}") from None
    if response.status_code == 401:
        raise PushError(f"copyloop refused the API key (401: {_detail(response)}); "
                        "create one with `copyloop keys create --brand <brand>`")
    if response.status_code == 404:
        raise PushError(f"copyloop: {_detail(response)}")
    if response.status_code != 200:
        raise PushError(f"copyloop answered {response.status_code} for {channel}: {_detail(response)}")
    try:
        variants = response.json().get("variants") or []
    except (ValueError, AttributeError):
        raise PushError(f"copyloop at {base_url} did not answer with JSON; is that the copyloop URL?") from None
    if not variants:
        raise PushError(f"copyloop returned no {channel} copy for SKU {sku!r}")
    return variants


def preview_text(body: str, limit: int = PREVIEW_MAX_CHARS) -> str:
    """The body's first sentence, cut at a word boundary to fit the inbox preview."""
    text = " ".join(body.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def render_html(subject: str, body: str) -> str:
    """A plain, responsive email: the body's paragraphs and the footer Mailchimp requires (address, unsubscribe)."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()] or [body]
    content = "\n".join(f'<p style="margin:0 0 16px">{html.escape(" ".join(p.split()))}</p>' for p in paragraphs)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(subject)}</title>\n</head>\n"
        '<body style="margin:0;padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;'
        'line-height:1.5;color:#222">\n'
        f"{content}\n"
        '<p style="margin:32px 0 0;font-size:12px;color:#777">*|HTML:LIST_ADDRESS_HTML|*<br>\n'
        '<a href="*|UNSUB|*" style="color:#777">Unsubscribe</a></p>\n'
        "</body>\n</html>\n"
    )


def build_requests(campaign: str, subject: str, body: str | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path under the API root, JSON body) for each Mailchimp call."""
    settings: dict[str, str] = {"subject_line": subject}
    if body is not None:
        settings["preview_text"] = preview_text(body)
    path = f"/3.0/campaigns/{quote(campaign, safe='')}"
    calls: list[tuple[str, str, dict[str, Any]]] = [("PATCH", path, {"settings": settings})]
    if body is not None:
        calls.append(("PUT", f"{path}/content", {"html": render_html(subject, body)}))
    return calls


def send(client: httpx.Client, base_url: str, api_key: str, campaign: str, method: str, path: str,
         payload: dict[str, Any]) -> None:
    """One Mailchimp call with basic auth ("anystring" as the user, the key as the password)."""
    try:
        response = client.request(method, base_url + path, json=payload, auth=("anystring", api_key))
    except httpx.HTTPError as exc:
        raise PushError(f"cannot reach Mailchimp at {base_url}: {exc}") from None
    if response.status_code == 401:
        raise PushError(f"Mailchimp refused the API key (401 {_detail(response)})")
    if response.status_code == 404:
        raise PushError(f"Mailchimp has no campaign {campaign!r} for this key (404 {_detail(response)})")
    if not 200 <= response.status_code < 300:
        raise PushError(f"Mailchimp answered {response.status_code} to {method} {path}: {_detail(response)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="mailchimp_push.py", description="Write copyloop's approved copy for a SKU into a Mailchimp campaign.")
    parser.add_argument("--copyloop-url", default=os.environ.get("COPYLOOP_URL", "http://127.0.0.1:8000"),
                        help="copyloop server (env COPYLOOP_URL; default http://127.0.0.1:8000)")
    parser.add_argument("--copyloop-key", default=os.environ.get("COPYLOOP_API_KEY"),
                        help="copyloop API key (env COPYLOOP_API_KEY)")
    parser.add_argument("--mailchimp-key", default=os.environ.get("MAILCHIMP_API_KEY"),
                        help="Mailchimp API key, '<key>-<dc>' (env MAILCHIMP_API_KEY)")
    parser.add_argument("--campaign", required=True, help="Mailchimp campaign id (a draft)")
    parser.add_argument("--sku", required=True, help="the SKU copyloop serves copy under")
    parser.add_argument("--segment", help="copyloop segment (a brief's `audience`); default: copy for everyone")
    parser.add_argument("--subject-only", action="store_true",
                        help="only set the subject line; leave preview text and content alone")
    parser.add_argument("--mailchimp-base-url",
                        help="Mailchimp API root instead of https://<dc>.api.mailchimp.com (for testing)")
    parser.add_argument("--dry-run", action="store_true", help="print the Mailchimp requests instead of sending them")
    args = parser.parse_args(argv)
    if not args.copyloop_key:
        parser.error("give --copyloop-key or set COPYLOOP_API_KEY")
    if not args.mailchimp_key and not args.dry_run:
        parser.error("give --mailchimp-key or set MAILCHIMP_API_KEY")
    return args


def run(args: argparse.Namespace) -> None:
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        subject = fetch_copy(client, args.copyloop_url, args.copyloop_key, args.sku, SUBJECT_CHANNEL,
                             args.segment)[0]["text"]
        body = None if args.subject_only else fetch_copy(client, args.copyloop_url, args.copyloop_key, args.sku,
                                                         BODY_CHANNEL, args.segment)[0]["text"]
        calls = build_requests(args.campaign, subject, body)
        if args.dry_run:
            if args.mailchimp_key or args.mailchimp_base_url:
                base = mailchimp_base_url(args.mailchimp_key or "", args.mailchimp_base_url)
            else:
                base = "https://<dc>.api.mailchimp.com"
            for method, path, payload in calls:
                print(f"{method} {base}{path}")
                print(json.dumps(payload, indent=2, ensure_ascii=False))
            return
        base = mailchimp_base_url(args.mailchimp_key, args.mailchimp_base_url)
        for method, path, payload in calls:
            send(client, base, args.mailchimp_key, args.campaign, method, path, payload)
    what = "subject line" if body is None else "subject line, preview text and content"
    print(f"campaign {args.campaign}: {what} set from copyloop SKU {args.sku!r}: {subject!r}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except PushError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
