"""What the bot says to the model and reads back: the grounded system prompt, the history, the
citations in an answer, and the phrases that mean "let me talk to a person"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ai_engine.chat.knowledge import Hit
from ai_engine.chat.models import KnowledgeSource, Message

# Said to the customer on a hand-off. Our text, stored as a ``system`` notice, never as a model answer.
HANDOFF_NOTICES = {
    "customer_request": "Of course. I have asked a member of our team to join; a person will reply here soon.",
    "no_relevant_knowledge": (
        "I could not find this in our help articles, so I have passed your question to our team. "
        "A person will reply here soon."
    ),
    "staff": "A member of our team has joined the conversation.",
}
REOPEN_NOTICE = "The assistant is answering again."

# Asking for a person, in the words customers use (docs/ai-chatbot.md lists them). Whole phrases
# only: "the agent said my order shipped" is a question, not a request.
_PERSON = (
    r"(?:a |an |the |some |your |real |live |actual |human )*"
    r"(?:human|person|agent|representative|rep|someone|somebody|staff|executive|operator"
    r"|customer (?:care|service|support)|support team|team member)"
)
HUMAN_REQUEST_PATTERNS = (
    rf"\b(?:talk|speak|chat)(?:\s+to|\s+with)\s+{_PERSON}\b",
    rf"\b(?:connect|transfer|put)\s+me\s+(?:to|with|through to)\s+{_PERSON}\b",
    rf"\b(?:i\s+)?(?:want|need|would like)\s+(?:to\s+(?:talk|speak)\s+(?:to|with)\s+)?{_PERSON}\b",
    r"\b(?:real|live|actual)\s+(?:human|person|agent)\b",
    r"\bhuman\s+agent\b",
    r"^\s*(?:human|agent|person|representative)(?:\s+please|\s+pls)?\s*[.!?]*\s*$",
)
_HUMAN_REQUEST = re.compile("|".join(f"(?:{p})" for p in HUMAN_REQUEST_PATTERNS), re.IGNORECASE)
_CITATION = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")


def asks_for_human(text: str) -> bool:
    return _HUMAN_REQUEST.search(text) is not None


def system_prompt(*, brand_name: str, hits: Sequence[Hit]) -> str:
    sources = "\n\n".join(f"[{n}] {_label(hit)}\n{hit.text}" for n, hit in enumerate(hits, start=1))
    return (
        f"You are the customer assistant of {brand_name}. Answer the customer's last message using ONLY "
        "the numbered sources below. Cite the source of every fact with its number in square brackets, "
        "like [1] or [2]. If the sources do not contain the answer, say that you do not know and that a "
        "member of the team can help; never invent prices, policies, dates or other facts. Be brief and "
        "friendly, and answer in the customer's language.\n\n"
        f"Sources:\n\n{sources}"
    )


def _label(hit: Hit) -> str:
    kind = dict(KnowledgeSource.Kind.choices).get(hit.kind, hit.kind)
    heading = f" · {hit.heading}" if hit.heading and hit.heading != hit.title else ""
    return f"{kind}: {hit.title}{heading}"


def history_for_model(messages: Sequence[Message]) -> list[dict[str, str]]:
    """Earlier turns as chat messages: the customer as ``user``, the bot and the team as
    ``assistant`` (a team member's words marked as theirs). Notices are ours, not the conversation's."""
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role == Message.Role.USER:
            turns.append({"role": "user", "content": message.content})
        elif message.role == Message.Role.ASSISTANT:
            turns.append({"role": "assistant", "content": message.content})
        elif message.role == Message.Role.AGENT:
            turns.append({"role": "assistant", "content": f"(A member of our team wrote:) {message.content}"})
    return turns


def citations_in(text: str, hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """The sources the answer actually cites ([1], [2, 3]), in order of first citation; numbers
    that name no source given to the model are ignored."""
    seen: list[int] = []
    for group in _CITATION.findall(text):
        for number in (int(n) for n in group.split(",")):
            if 1 <= number <= len(hits) and number not in seen:
                seen.append(number)
    citations = []
    for number in seen:
        hit = hits[number - 1]
        citation: dict[str, Any] = {"n": number, "source_id": hit.source_id, "title": hit.title, "kind": hit.kind}
        if hit.url:
            citation["url"] = hit.url
        citations.append(citation)
    return citations
