"""The web page for marketers: static HTML, CSS and ES-module JavaScript served by `copyloop serve` at `/`.

No build step and nothing fetched from the internet: the files in `static/` are the app; it calls the same HTTP API
with the API key the marketer logs in with."""

from pathlib import Path

STATIC = Path(__file__).parent / "static"
