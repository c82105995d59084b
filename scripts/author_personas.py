"""Writes data/seeds/personas.jsonl: the personas the `persona` recipe writes tasks as, authored
for this project (roles x situations, a seeded choice of 300), byte for byte the same on every
run. Persona Hub (Ge et al. 2024) is the idea; none of its text is used."""

from __future__ import annotations

import json
import random
from pathlib import Path

ROLES = """night-shift nurse|high-school chemistry teacher|retired carpenter|first-year law student|small-bakery
owner|wildlife photographer|city bus driver|software tester|beekeeper|hospital pharmacist|civil engineer|landscape
gardener|freelance translator|primary-school librarian|amateur astronomer|paramedic|dairy farmer|museum
curator|data journalist|yoga instructor|marine biologist|stage-lighting technician|bicycle mechanic|tax
accountant|line cook at a busy diner|volunteer firefighter|linguistics graduate student|social worker|aircraft
mechanic|urban planner|piano tuner|high-school football coach|hotel receptionist|sign-language interpreter|indie
game designer|plumber|pharmacy technician|archivist|physiotherapist|ferry captain"""
SITUATIONS = """who is new to the job|preparing for a certification exam|who runs a small online shop on the
side|moving to a city abroad|caring for an elderly parent|learning to program in the evenings|planning a community
event|writing a first book|training an apprentice|saving up for a house|recovering from a knee injury|organizing a
neighborhood garden|who volunteers at a food bank|helping a child with homework|starting a podcast"""
COUNT = 300


def _items(block: str) -> list[str]:
    return [" ".join(item.split()) for item in block.replace("\n", " ").split("|")]


def personas() -> list[dict[str, str]]:
    pairs = [(r, s) for r in _items(ROLES) for s in _items(SITUATIONS)]
    chosen = sorted(random.Random(2024).sample(range(len(pairs)), COUNT))
    out = []
    for n, index in enumerate(chosen, start=1):
        role, situation = pairs[index]
        article = "an" if role[0] in "aeiou" else "a"
        out.append({"id": f"persona-{n:03d}", "persona": f"{article} {role} {situation}"})
    return out


def main() -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "seeds" / "personas.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in personas()), encoding="utf-8")
    print(f"{path}: {COUNT} personas")


if __name__ == "__main__":
    main()
