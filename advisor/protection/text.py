"""Text helpers the host formats share: JSON files, one-line comments, URL segments, OWNER/NAME."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def one_line(text: str) -> str:
    """Text safe inside a one-line comment (shell, YAML, HCL): no line breaks or control characters."""
    return "".join(c if c.isprintable() else " " for c in text)


def url_segment(text: str) -> str:
    """One URL path segment: only [A-Za-z0-9_.~%-] remain, so it is also a safe shell word."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def split_repo(repo: str | None) -> tuple[str | None, str | None]:
    if repo is None or repo.count("/") != 1 or not all(repo.split("/")):
        return None, None
    owner, name = repo.split("/")
    return owner, name


