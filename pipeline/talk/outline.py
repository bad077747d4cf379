"""The talk's frame: its title, its agenda and its closing, as the pages draw them.

No person is named. The agenda's four parts are the talk's own (Introduction, Insights,
Demonstration, Conclusion); the pages of each part are numbered with it in
``dashboard.app.pages`` ("1 · ...", "2 · ..."), so the agenda slide lists them from there.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE = "Keras vs PyTorch"
SUBTITLE = "Deep-learning frameworks, compared on pneumonia in children's chest X-rays"
CLAIM = "Keras: easy, high-level. PyTorch: flexible, fast. Data processing makes the difference."
QUESTIONS = "Questions?"


@dataclass(frozen=True)
class Part:
    number: int
    name: str
    what: str  # one line: what the part shows


PARTS: tuple[Part, ...] = (
    Part(1, "Introduction", "from the perceptron to deep networks: two winters and a thaw"),
    Part(2, "Insights", "what a framework must have, which ones there are, who uses them"),
    Part(3, "Demonstration", "pneumonia on chest X-rays, the same CNN in Keras and in PyTorch"),
    Part(4, "Conclusion", "what the measurements say about the two frameworks"),
)


def part_of(title: str) -> int | None:
    """The part a page belongs to, from its numbered title ("3 · The model" -> 3)."""
    head = title.split("·", 1)[0].strip()
    return int(head) if "·" in title and head.isdigit() else None
