"""What the loopback server answers in the scale benchmark: varied, parseable content, as a real
model would give it, deterministic in the request.

- Self-Instruct calls get the list's next eight items: general tasks combined from word lists
  (about half a million distinct wordings) or math word problems from templates whose answers
  can be computed;
- math traces work the problem and end `#### N`, right three times in four;
- other tasks get a few sentences recombined from the project's human seed responses (so the
  perplexity band and the other filters see text shaped like real answers).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

VERBS = [
    "Write",
    "Draft",
    "Compose",
    "Outline",
    "Summarize",
    "Explain",
    "Describe",
    "List",
    "Compare",
    "Plan",
    "Design",
    "Critique",
    "Rewrite",
    "Suggest",
    "Create",
    "Brainstorm",
    "Classify",
    "Translate",
    "Evaluate",
    "Sketch",
]
FORMS = [
    "a short poem",
    "a product description",
    "three tips",
    "a brief email",
    "a short story",
    "a recipe",
    "a study plan",
    "a tweet",
    "a haiku",
    "a dialogue",
    "a checklist",
    "a slogan",
    "a limerick",
    "an opening paragraph",
    "a pros and cons list",
    "a one-line joke",
    "an analogy",
    "a FAQ entry",
    "a riddle",
    "a lesson plan",
]
TOPICS = [
    "rainy mornings",
    "quantum computing",
    "urban gardening",
    "a lost umbrella",
    "mountain biking",
    "the history of tea",
    "solar panels",
    "learning the violin",
    "a busy train station",
    "deep sea fish",
    "remote work",
    "volcanoes",
    "a birthday party",
    "recycling plastic",
    "chess openings",
    "the moon landing",
    "bread baking",
    "saving money",
    "a city at night",
    "migrating birds",
    "electric cars",
    "ancient Rome",
    "first-day nerves",
    "a library card",
    "winter camping",
    "honeybees",
    "street food",
    "time zones",
    "a job interview",
    "houseplants",
    "marathon training",
    "public libraries",
    "wind turbines",
    "origami",
    "a lighthouse keeper",
    "coral reefs",
    "board games",
    "jazz music",
    "a broken clock",
    "desert plants",
    "video calls",
    "paper maps",
    "night shifts",
    "a treehouse",
    "sourdough starters",
    "the periodic table",
    "penguins",
    "a snow day",
    "open-source software",
    "bicycle repair",
    "tide pools",
    "a village market",
    "thunderstorms",
    "calligraphy",
    "a museum visit",
    "space telescopes",
    "fermentation",
    "kite flying",
    "a power outage",
    "stargazing",
]
CONSTRAINTS = [
    "in under 50 words",
    "for a ten-year-old",
    "in a formal tone",
    "using only short sentences",
    "with a surprising ending",
    "in the second person",
    "without using the letter z",
    "as a numbered list",
    "for a busy parent",
    "in a cheerful voice",
    "with one metaphor",
    "for a newspaper",
    "in exactly three sentences",
    "for beginners",
    "with a call to action",
    "from the point of view of a cat",
    "in a skeptical tone",
    "for a museum placard",
    "with two examples",
    "in plain language",
]
NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elif",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jonas",
    "Kemi",
    "Leo",
    "Mira",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Wen",
    "Yara",
    "Zane",
]
ITEMS = ["apples", "stickers", "marbles", "pencils", "cookies", "stamps", "shells", "books", "coins", "beads"]
CONTAINERS = ["box", "bag", "crate", "jar", "basket", "tray"]
LEADS = [
    "We work it out step by step from the numbers given.",
    "Start from what the problem tells us.",
    "Let us compute it carefully.",
    "Read the question, then combine the two numbers.",
    "Write down both quantities first.",
    "The operation follows from the wording.",
]
_SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds" / "instruction_tasks.jsonl"
SENTENCES = [
    s.strip()
    for line in _SEEDS.read_text().splitlines()
    for s in re.split(r"(?<=[.!?])\s+", json.loads(line)["output"])
    if len(s.split()) >= 4
]
_OPEN = re.compile(r"^(\d+)\.\s*$", re.M)
_QUESTION = re.compile(r"Question:\s*(.*)\nAnswer:")
_TEMPLATES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"has (\d+) \w+\. \w+ buys (\d+) more"), "+"),
    (re.compile(r"had (\d+) \w+ and gave (\d+) of them"), "-"),
    (re.compile(r"holds (\d+) \w+\. How many \w+ are in (\d+)"), "*"),
    (re.compile(r"costs \$(\d+)\. \w+ buys (\d+) of them"), "*"),
]
_APPLY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _h(*parts: Any) -> int:
    return int(hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:15], 16)


ADJECTIVES = [
    "forgotten",
    "noisy",
    "tiny",
    "futuristic",
    "seasonal",
    "local",
    "famous",
    "unusual",
    "everyday",
    "imaginary",
    "historic",
    "rural",
    "crowded",
    "peaceful",
    "expensive",
    "homemade",
    "digital",
    "underwater",
    "midnight",
    "childhood",
]


def general_task(h: int) -> str:
    verb, form, adjective = VERBS[h % 20], FORMS[(h >> 5) % 20], ADJECTIVES[(h >> 22) % 20]
    return f"{verb} {form} about {adjective} {TOPICS[(h >> 10) % 60]} {CONSTRAINTS[(h >> 16) % 20]}."


def math_problem(h: int) -> str:
    name, other = NAMES[h % 25], NAMES[(h >> 5) % 25]
    item, box = ITEMS[(h >> 10) % 10], CONTAINERS[(h >> 14) % 6]
    a, b = 10 + (h >> 17) % 90, 2 + (h >> 24) % 9
    kind = (h >> 30) % 4
    if kind == 0:
        return f"{name} has {a} {item}. {name} buys {b} more. How many {item} does {name} have now?"
    if kind == 1:
        return f"{name} had {a} {item} and gave {b} of them to {other}. How many {item} does {name} have left?"
    if kind == 2:
        return f"A {box} holds {a} {item}. How many {item} are in {b} {box}s?"
    return f"A {item[:-1]} costs ${a}. {name} buys {b} of them. How much does {name} spend?"


def worked(question: str) -> tuple[str, int] | None:
    """The computation line and the answer, for questions our templates (and the seeds') use."""
    for pattern, op in _TEMPLATES:
        if m := pattern.search(question):
            a, b = int(m.group(1)), int(m.group(2))
            result = _APPLY[op](a, b)
            return f"{a} {op} {b} = {result}", result
    return None


def respond(prompt: str, params: dict[str, Any]) -> str:
    h = _h(prompt, params)
    if "Come up with a series" in prompt:
        opened = _OPEN.findall(prompt)
        first = int(opened[-1]) if opened else 1
        make = math_problem if "math word problems" in prompt else general_task
        return "\n".join(f"{first + i}. {make(_h(h, i))}" for i in range(8))
    if prompt.rstrip().endswith("Answer:") and (questions := _QUESTION.findall(prompt)):
        work = worked(questions[-1])
        line, right = work if work else ("we estimate it", 0)
        answer = right if work and h % 4 else right + 1 + h % 7  # right three times in four
        return f"{LEADS[h % len(LEADS)]} {line.replace(str(right), str(answer))}.\n#### {answer}"
    rng = random.Random(h)
    return " ".join(rng.sample(SENTENCES, 2 + h % 3))
