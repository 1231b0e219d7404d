"""Reading a PDF's text in a child process with hard limits, so a hostile file fails alone.

A 43 KB PDF kept a web worker busy for 30 s: pypdf is pure Python, so a file built to be slow
(form XObjects nested in each other, thousands of pages, a content stream that inflates to
gigabytes) cannot be stopped from inside the process that reads it. ``pdf_text`` therefore runs
this module as a script in a fresh interpreter, which

- limits its own address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``) before reading,
- refuses a file of more pages than allowed before extracting any, and stops as soon as the text
  passes the character limit,

while the caller kills it when the wall-clock limit passes. The script needs only pypdf (no Django),
reads the PDF on stdin and writes one JSON object on stdout: ``{"text": ...}`` or
``{"error": code, "detail": ...}``.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PdfLimits:
    pages: int
    chars: int
    seconds: float
    memory_bytes: int


class PdfUnreadable(Exception):
    """The PDF cannot be used; ``message`` says why in words for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pdf_text(data: bytes, limits: PdfLimits) -> str:
    """The text of a PDF's pages (blank pages left out), read in a child process within ``limits``;
    raises PdfUnreadable with a message naming the limit that stopped it."""
    command = [
        sys.executable,
        "-I",  # isolated: no PYTHON* variables, no user site, not the caller's working directory
        str(Path(__file__).resolve()),
        str(limits.pages),
        str(limits.chars),
        str(int(limits.seconds) + 1),
        str(limits.memory_bytes),
    ]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=limits.seconds, check=False)  # noqa: S603 - our own script, fixed arguments
    except subprocess.TimeoutExpired as exc:  # run() has killed the child
        raise PdfUnreadable(
            f"Reading the PDF took longer than {limits.seconds:g} seconds and was stopped; "
            "it may be built to be slow. Upload its text, or a simpler PDF."
        ) from exc
    try:
        result = json.loads(done.stdout)
    except ValueError:
        result = {"error": "crashed"}  # killed by a limit (SIGKILL/SIGXCPU) or out of memory
    if "text" in result:
        return str(result["text"])
    raise PdfUnreadable(_MESSAGES.get(result["error"], _MESSAGES["crashed"]).format(limits=limits, **result))


_MESSAGES = {
    "encrypted": "The PDF is password-protected; upload an unprotected copy.",
    "unreadable": "The PDF could not be read; is it a valid PDF file?",
    "pages": "The PDF has {detail:,} pages; at most {limits.pages:,} are read. Split it into smaller files.",
    "chars": "The PDF holds more than {limits.chars:,} characters of text; split it into smaller files.",
    "crashed": "Reading the PDF needed more memory or time than allowed and was stopped; "
    "upload its text, or a simpler PDF.",
}


def _extract(data: bytes, max_pages: int, max_chars: int) -> dict[str, object]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return {"error": "encrypted"}
        count = len(reader.pages)
        if count > max_pages:
            return {"error": "pages", "detail": count}
        pages: list[str] = []
        total = 0
        for page in reader.pages:
            text = (page.extract_text() or "").strip()
            total += len(text)
            if total > max_chars:
                return {"error": "chars"}
            if text:
                pages.append(text)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError, NotImplementedError):
        # pypdf reports malformed files through several exception types; all mean "cannot read it".
        return {"error": "unreadable"}
    return {"text": "\n\n".join(pages)}


def _main(argv: list[str]) -> int:
    import logging
    import resource

    max_pages, max_chars, cpu_seconds, memory_bytes = (int(a) for a in argv)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    logging.disable(logging.WARNING)  # pypdf warns on stderr about every oddity of a hostile file
    try:
        result = _extract(sys.stdin.buffer.read(), max_pages, max_chars)
    except MemoryError:
        result = {"error": "crashed"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
