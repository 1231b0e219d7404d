"""Quality of generated content: a deterministic 0-10 score from checks anyone can re-run, and
the written rubric the optional LLM judge scores against.

Checks and weights (the score is 10 x the weight of what passed / the weight of what applied):
- mentions (3): every variable marked ``mention`` appears in the output (case-insensitive);
- length (2): word count within the template's [min_words, max_words] (a summary's requested
  max_words, a blog post's requested word_count when given, a campaign channel's limit: SMS and
  push 160 characters, WhatsApp 60 words, email 150 words), characters within max_chars, and
  each line within its limit where the template sets one (an ad: headline 30 characters,
  description 90, as Google's responsive search ads allow);
- format (2): email = a "Subject:" first line (bold allowed) and a body; markdown = a "# " title and a "## "
  section; social = within max_chars; json = one object with the template's keys; plain = no
  Markdown headings;
- banned words (2): none of the brand voice's words to avoid nor the platform's risky claims;
- readability (1, not for json): Flesch reading ease, full marks at 60+ ("plain English"), none
  at 30 or below, linear between (textstat's implementation).

Mentions, length, format and banned words are hard requirements: when any of them fails, the score
is at most 4.00 (HARD_FAIL_CAP), the judge rubric's "misses required details or the requested
format" band, however well the rest scored. Readability alone never caps.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Claims consumer-protection rules (ASCI's code in India) expect to be substantiated; a template
# never gets the facts to back them, so generated copy should not make them.
PLATFORM_BANNED = ("guaranteed", "risk-free", "100% free", "miracle", "best in the world", "no.1 in india", "cure")

JUDGE_RUBRIC = """You grade marketing and customer-service text written for a small online business.
Score from 0 to 10 against this rubric, then give the main reason in at most 25 words:
- 0-2: wrong task, wrong language, unsafe, or invents facts (prices, discounts, dates, claims).
- 3-4: on task but misses required details or the requested format.
- 5-6: correct and complete but generic, wordy or awkward.
- 7-8: clear, specific, correct format, fits the audience and the brand voice.
- 9-10: all of 7-8, and a busy customer would act on it; nothing to change.
Answer with one JSON object only: {"score": <number 0-10>, "reason": "<text>"}."""

WORD_RE = re.compile(r"[\w'\u2019-]+")  # letters, digits, apostrophes (straight or curly), hyphens


@dataclass(frozen=True)
class Check:
    name: str
    weight: int
    passed: float  # 0..1 (readability can pass partly)
    detail: str


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


_TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _plain(text: str) -> str:
    """Curly quotes and dashes as plain ones, so D\u2019Souza matches D'Souza."""
    return text.translate(_TYPOGRAPHY)


def _contains(text: str, phrase: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(_plain(phrase.strip())) + r"(?!\w)"
    return re.search(pattern, _plain(text), re.IGNORECASE) is not None


def _mentions(text: str, template: Any, values: dict[str, Any]) -> Check | None:
    wanted = [v["name"] for v in template.variables if v.get("mention") and values.get(v["name"])]
    if not wanted:
        return None
    missing = [name for name in wanted if not _contains(text, str(values[name]))]
    detail = "all present" if not missing else f"missing: {', '.join(missing)}"
    return Check("mentions", 3, 0.0 if missing else 1.0, detail)


def _channel_limits(template: Any, values: dict[str, Any]) -> dict[str, int]:
    """The limits of the channel this request writes for (``channel_limits`` keyed by the value of
    the ``channel_var`` variable), e.g. {"max_chars": 160} for an SMS."""
    channel = values.get(template.extra.get("channel_var", ""))
    limits: dict[str, dict[str, int]] = template.extra.get("channel_limits", {})
    return limits.get(channel, {}) if isinstance(channel, str) else {}


def _word_limits(template: Any, values: dict[str, Any]) -> tuple[int | None, int | None]:
    """The template's word range, narrowed by what this request asked for: a summary's
    ``max_words`` (10% slack), a blog post's ``word_count`` (60%-140%), the channel's word limit."""
    low, high = template.min_words, template.max_words
    asked_max = values.get(template.extra.get("max_words_var", ""))
    if isinstance(asked_max, int):
        high = int(asked_max * 1.1)
    target = values.get(template.extra.get("target_words_var", ""))
    if isinstance(target, int):
        low, high = int(target * 0.6), int(target * 1.4)
    return low, _channel_limits(template, values).get("max_words", high)


LINE_LABEL = re.compile(r"^(?:[*_]{0,2})(headline|description)\s*:\s*(?:[*_]{0,2})\s*", re.IGNORECASE)


def _line_problems(text: str, template: Any) -> list[str]:
    """Lines over their limit (``line_chars``: [[name, limit], ...] for the first lines); a label
    such as "Headline:" does not count towards it."""
    limits = template.extra.get("line_chars", [])
    lines = [LINE_LABEL.sub("", line.strip()).strip() for line in text.strip().splitlines() if line.strip()]
    problems = []
    for i, (name, limit) in enumerate(limits):
        if i >= len(lines):
            problems.append(f"no {name} line")
        elif len(lines[i]) > limit:
            problems.append(f"{name} {len(lines[i])} characters, more than {limit}")
    return problems


def _length(text: str, template: Any, values: dict[str, Any]) -> Check | None:
    problems = []
    words = _words(text)
    low, high = _word_limits(template, values)
    if low and words < low:
        problems.append(f"{words} words, fewer than {low}")
    if high and words > high:
        problems.append(f"{words} words, more than {high}")
    # A social post's characters are its format check; counted once, there.
    max_chars = template.max_chars if template.output_format != "social" else None
    max_chars = _channel_limits(template, values).get("max_chars", max_chars)
    if max_chars and len(text) > max_chars:
        problems.append(f"{len(text)} characters, more than {max_chars}")
    problems += _line_problems(text, template)
    if not (low or high or max_chars or template.extra.get("line_chars")):
        return None
    return Check("length", 2, 0.0 if problems else 1.0, "; ".join(problems) or f"{words} words")


def _format(text: str, template: Any) -> Check:
    lines = [line.strip() for line in text.strip().splitlines()]
    fmt = template.output_format
    if fmt == "email":
        first = lines[0].lstrip("*#_ ").replace("**", "").replace("__", "") if lines else ""
        has_subject = first.lower().startswith("subject:") and len(first.strip()) > len("subject:")
        body = [line for line in lines[1:] if line]
        ok, detail = has_subject and bool(body), "subject line and body" if has_subject else "no 'Subject:' first line"
        if has_subject and not body:
            detail = "no body"
    elif fmt == "markdown":
        ok = any(line.startswith("# ") for line in lines) and any(line.startswith("## ") for line in lines)
        detail = "title and sections" if ok else "needs a '# ' title and '## ' sections"
    elif fmt == "json":
        ok, detail = _json_ok(text, template.extra.get("json_keys", []))
    elif fmt == "social":
        ok = not template.max_chars or len(text) <= template.max_chars
        detail = f"{len(text)} characters"
    else:
        ok = not any(line.startswith(("# ", "## ")) for line in lines)
        detail = "plain text" if ok else "has Markdown headings"
    return Check("format", 2, 1.0 if ok else 0.0, detail)


def _json_ok(text: str, keys: list[str]) -> tuple[bool, str]:
    try:
        parsed = json.loads(text.strip().removeprefix("```json").removeprefix("```").removesuffix("```"))
    except ValueError:
        return False, "not JSON"
    if not isinstance(parsed, dict):
        return False, "not a JSON object"
    missing = [k for k in keys if k not in parsed]
    return (not missing), ("keys present" if not missing else f"missing keys: {', '.join(missing)}")


def _banned(text: str, avoid: list[str]) -> Check:
    found = [w for w in (*avoid, *PLATFORM_BANNED) if _contains(text, w)]
    return Check("banned_words", 2, 0.0 if found else 1.0, f"found: {', '.join(found)}" if found else "none")


def _readability(text: str, template: Any) -> Check | None:
    import textstat

    if template.output_format == "json" or _words(text) < 5:
        return None
    ease = float(textstat.flesch_reading_ease(text))
    passed = min(1.0, max(0.0, (ease - 30) / 30))
    return Check("readability", 1, round(passed, 2), f"Flesch reading ease {ease:.0f}")


def quality_checks(*, text: str, template: Any, values: dict[str, Any], avoid: list[str]) -> list[Check]:
    checks = [
        _mentions(text, template, values),
        _length(text, template, values),
        _format(text, template),
        _banned(text, avoid),
        _readability(text, template),
    ]
    return [c for c in checks if c is not None]


HARD_CHECKS = frozenset({"mentions", "length", "format", "banned_words"})
HARD_FAIL_CAP = Decimal("4.00")


def quality_score(checks: list[Check]) -> Decimal:
    """10 x the weight passed / the weight that applied, at most HARD_FAIL_CAP when a hard check failed."""
    total = sum(c.weight for c in checks)
    if not total:
        return Decimal("10.00")
    value = Decimal(10) * Decimal(str(sum(c.weight * c.passed for c in checks))) / Decimal(total)
    if any(c.name in HARD_CHECKS and c.passed < 1 for c in checks):
        value = min(value, HARD_FAIL_CAP)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def checks_as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def judge_parse(answer: str) -> tuple[Decimal, str] | None:
    """The judge's {"score", "reason"} (score clamped to 0-10), or None when unreadable."""
    match = re.search(r"\{.*\}", answer, re.DOTALL)
    if not match:
        return None
    try:
        parsed = json.loads(match.group(0))
        score = float(parsed["score"])
    except (ValueError, KeyError, TypeError):
        return None
    if not 0 <= score <= 10:
        return None
    reason = str(parsed.get("reason", ""))[:500]
    return Decimal(str(score)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), reason
