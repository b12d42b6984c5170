"""A file for the site: a Markdown page for MkDocs, or any other file published as it is."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Page:
    """A file for the site: a Markdown page for MkDocs, or any other file copied as it is
    (JSON, CSV, XML, a zip). `content` is text (written as UTF-8), bytes (written unchanged) or
    the path of a file to publish as it is."""

    path: str       # relative to the docs dir, POSIX, e.g. "en/routes/huayingshan-red.md"
    content: str | bytes | Path

    def data(self) -> bytes:
        """The file's bytes as published."""
        if isinstance(self.content, Path):
            return self.content.read_bytes()
        return self.content.encode("utf-8") if isinstance(self.content, str) else self.content
