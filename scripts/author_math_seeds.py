"""Writes the project's own grade-school math seeds (data/seeds/math_problems.jsonl and the
held-out split). Templates are ours; every worked solution is computed, so references are right
by construction. Re-running with the same seed reproduces the committed files byte for byte."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

NAMES = [
    "Maya",
    "Omar",
    "Lena",
    "Tariq",
    "Sofia",
    "Jonas",
    "Priya",
    "Kofi",
    "Hana",
    "Mateo",
    "Ines",
    "Ravi",
    "Zoe",
    "Bilal",
    "Elif",
    "Nora",
    "Dmitri",
    "Aiko",
    "Felix",
    "Amara",
]
ITEMS = [
    "stickers",
    "marbles",
    "apples",
    "pencils",
    "seashells",
    "stamps",
    "cookies",
    "crayons",
    "buttons",
    "postcards",
]
Problem = tuple[str, list[str], int]


def _pick(rng: random.Random) -> tuple[str, str, str]:
    a, b = rng.sample(NAMES, 2)
    return a, b, rng.choice(ITEMS)


def buy_more(rng: random.Random) -> Problem:
    n, _, it = _pick(rng)
    a, b = rng.randint(5, 60), rng.randint(3, 40)
    return (
        f"{n} has {a} {it}. {n} buys {b} more. How many {it} does {n} have now?",
        [f"{n} has {a} + {b} = {a + b} {it}."],
        a + b,
    )


def give_away(rng: random.Random) -> Problem:
    n, f, it = _pick(rng)
    a = rng.randint(20, 90)
    b = rng.randint(3, a - 5)
    return (
        f"{n} had {a} {it} and gave {b} of them to {f}. How many {it} does {n} have left?",
        [f"{n} has {a} - {b} = {a - b} {it} left."],
        a - b,
    )


def boxes(rng: random.Random) -> Problem:
    n, _, it = _pick(rng)
    a, b = rng.randint(4, 25), rng.randint(2, 12)
    return (
        f"Each box holds {a} {it}. {n} has {b} full boxes. How many {it} are there in total?",
        [f"There are {b} x {a} = {a * b} {it}."],
        a * b,
    )


def share_equally(rng: random.Random) -> Problem:
    n, _, it = _pick(rng)
    each, k = rng.randint(3, 15), rng.randint(2, 9)
    total = each * k
    return (
        f"{n} shares {total} {it} equally among {k} friends. How many {it} does each friend get?",
        [f"Each friend gets {total} / {k} = {each} {it}."],
        each,
    )


def change_due(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    thing = rng.choice(["notebook", "sandwich", "toy car", "ticket", "plant"])
    price, k = rng.randint(2, 15), rng.randint(2, 6)
    paid = rng.choice([v for v in (20, 50, 100) if v > price * k])
    cost = price * k
    return (
        f"A {thing} costs ${price}. {n} buys {k} of them and pays with a ${paid} bill. How much change does {n} get?",
        [f"The {thing}s cost {k} x ${price} = ${cost}.", f"The change is ${paid} - ${cost} = ${paid - cost}."],
        paid - cost,
    )


def reading(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a, d, c = rng.randint(5, 30), rng.randint(3, 9), rng.randint(2, 20)
    return (
        f"{n} reads {a} pages a day for {d} days and then {c} pages on the next day. "
        f"How many pages did {n} read in total?",
        [f"In {d} days {n} reads {d} x {a} = {a * d} pages.", f"In total that is {a * d} + {c} = {a * d + c} pages."],
        a * d + c,
    )


def percent_boys(rng: random.Random) -> Problem:
    size = rng.choice([20, 40, 60, 80, 100, 120])
    p = rng.choice([25, 50, 75, 10, 20, 30, 40, 60])
    girls = size * p // 100
    return (
        f"A school club has {size} members. {p}% of the members are girls. How many members are boys?",
        [f"There are {size} x {p}/100 = {girls} girls.", f"So there are {size} - {girls} = {size - girls} boys."],
        size - girls,
    )


def wages(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a, b, c = rng.randint(8, 25), rng.randint(2, 8), rng.randint(2, 6)
    daily = a * b
    return (
        f"{n} earns ${a} per hour and works {b} hours a day. How much does {n} earn in {c} days?",
        [f"Each day {n} earns {b} x ${a} = ${daily}.", f"In {c} days {n} earns {c} x ${daily} = ${daily * c}."],
        daily * c,
    )


def bakery(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    trays, per = rng.randint(2, 8), rng.randint(6, 24)
    made = trays * per
    sold = rng.randint(1, made - 1)
    return (
        f"{n} bakes {trays} trays of muffins with {per} muffins on each tray and sells {sold} muffins. "
        f"How many muffins are left?",
        [f"{n} bakes {trays} x {per} = {made} muffins.", f"{made} - {sold} = {made - sold} muffins are left."],
        made - sold,
    )


def distance(rng: random.Random) -> Problem:
    speed, hours = rng.choice([40, 45, 50, 60, 70, 80, 90]), rng.randint(2, 7)
    vehicle = rng.choice(["train", "bus", "truck", "car"])
    return (
        f"A {vehicle} travels at {speed} km per hour for {hours} hours. How many kilometers does it travel?",
        [f"It travels {speed} x {hours} = {speed * hours} km."],
        speed * hours,
    )


def ages(rng: random.Random) -> Problem:
    n, f, _ = _pick(rng)
    a, b, c = rng.randint(5, 14), rng.randint(2, 9), rng.randint(2, 10)
    return (
        f"{n} is {a} years old. {f} is {b} years older than {n}. How old will {f} be in {c} years?",
        [f"{f} is {a} + {b} = {a + b} years old now.", f"In {c} years {f} will be {a + b} + {c} = {a + b + c}."],
        a + b + c,
    )


def fence(rng: random.Random) -> Problem:
    w, h = rng.randint(3, 20), rng.randint(3, 20)
    return (
        f"A rectangular garden is {w} meters long and {h} meters wide. How many meters of fence "
        f"are needed to go all the way around it?",
        [f"The perimeter is 2 x ({w} + {h}) = 2 x {w + h} = {2 * (w + h)} meters."],
        2 * (w + h),
    )


def area(rng: random.Random) -> Problem:
    w, h = rng.randint(3, 15), rng.randint(3, 15)
    return (
        f"A room floor is {w} meters by {h} meters. How many square meters of carpet cover the whole floor?",
        [f"The area is {w} x {h} = {w * h} square meters."],
        w * h,
    )


def saving_weeks(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a, weeks = rng.randint(3, 20), rng.randint(3, 15)
    goal = a * weeks
    return (
        f"{n} saves ${a} every week. How many weeks will it take {n} to save ${goal}?",
        [f"It takes {goal} / {a} = {weeks} weeks."],
        weeks,
    )


def discount(rng: random.Random) -> Problem:
    p = rng.choice([10, 20, 25, 50])
    price = rng.choice(range(20, 201, 20))
    off = price * p // 100
    thing = rng.choice(["jacket", "lamp", "backpack", "pair of shoes", "board game"])
    return (
        f"A {thing} costs ${price}. It is on sale for {p}% off. What is the sale price?",
        [f"The discount is {price} x {p}/100 = ${off}.", f"The sale price is ${price} - ${off} = ${price - off}."],
        price - off,
    )


def twice_as_many(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a = rng.randint(3, 30)
    return (
        f"{n} has {a} red marbles and twice as many blue marbles. How many marbles does {n} have in all?",
        [f"{n} has 2 x {a} = {2 * a} blue marbles.", f"In all {n} has {a} + {2 * a} = {3 * a} marbles."],
        3 * a,
    )


def pizza(rng: random.Random) -> Problem:
    k, each = rng.randint(2, 5), rng.randint(1, 3)
    slices = k * each + rng.randint(1, 6)
    return (
        f"A pizza is cut into {slices} slices. {k} friends each eat {each} slices. How many slices are left?",
        [
            f"The friends eat {k} x {each} = {k * each} slices.",
            f"{slices} - {k * each} = {slices - k * each} slices are left.",
        ],
        slices - k * each,
    )


def running(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a, b = rng.randint(2, 12), rng.randint(1, 8) * 2
    total = a + b + b // 2
    return (
        f"{n} ran {a} km on Monday, {b} km on Tuesday, and half as far as Tuesday on Wednesday. "
        f"How many kilometers did {n} run in the three days?",
        [f"On Wednesday {n} ran {b} / 2 = {b // 2} km.", f"In total {n} ran {a} + {b} + {b // 2} = {total} km."],
        total,
    )


def tank(rng: random.Random) -> Problem:
    rate, minutes = rng.randint(2, 12), rng.randint(5, 30)
    size = rate * minutes
    return (
        f"A water tank holds {size} liters. A hose fills it at {rate} liters per minute. "
        f"How many minutes does it take to fill the empty tank?",
        [f"It takes {size} / {rate} = {minutes} minutes."],
        minutes,
    )


def shopping(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    a, b, c, d = rng.randint(2, 6), rng.randint(2, 5), rng.randint(2, 8), rng.randint(1, 3)
    return (
        f"{n} buys {a} notebooks for ${b} each and {c} pens for ${d} each. How much does {n} spend?",
        [
            f"The notebooks cost {a} x ${b} = ${a * b}.",
            f"The pens cost {c} x ${d} = ${c * d}.",
            f"{n} spends ${a * b} + ${c * d} = ${a * b + c * d}.",
        ],
        a * b + c * d,
    )


def third_spent(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    money = rng.randint(4, 20) * 3
    lunch = rng.randint(1, money // 3)
    left = money - money // 3 - lunch
    return (
        f"{n} has ${money}. {n} spends a third of it on books and ${lunch} on lunch. "
        f"How much money does {n} have left?",
        [f"Books cost {money} / 3 = ${money // 3}.", f"{n} has ${money} - ${money // 3} - ${lunch} = ${left} left."],
        left,
    )


def farm_legs(rng: random.Random) -> Problem:
    c, w = rng.randint(2, 20), rng.randint(1, 12)
    return (
        f"A farm has {c} chickens and {w} cows. How many legs do the animals have altogether?",
        [
            f"The chickens have {c} x 2 = {2 * c} legs.",
            f"The cows have {w} x 4 = {4 * w} legs.",
            f"Altogether there are {2 * c} + {4 * w} = {2 * c + 4 * w} legs.",
        ],
        2 * c + 4 * w,
    )


def average(rng: random.Random) -> Problem:
    n, _, _ = _pick(rng)
    while True:
        s = [rng.randint(60, 100) for _ in range(3)]
        if sum(s) % 3 == 0:
            break
    return (
        f"{n} scored {s[0]}, {s[1]} and {s[2]} on three tests. What is {n}'s average score?",
        [f"The total is {s[0]} + {s[1]} + {s[2]} = {sum(s)}.", f"The average is {sum(s)} / 3 = {sum(s) // 3}."],
        sum(s) // 3,
    )


def pencils(rng: random.Random) -> Problem:
    packs, per = rng.randint(3, 12), rng.choice([6, 8, 10, 12])
    broken = rng.randint(1, 9)
    total = packs * per
    return (
        f"A school orders {packs} packs of pencils with {per} pencils in each pack. {broken} pencils "
        f"arrive broken. How many pencils can be used?",
        [f"The school gets {packs} x {per} = {total} pencils.", f"{total} - {broken} = {total - broken} can be used."],
        total - broken,
    )


TEMPLATES: list[Callable[[random.Random], Problem]] = [
    buy_more,
    give_away,
    boxes,
    share_equally,
    change_due,
    reading,
    percent_boys,
    wages,
    bakery,
    distance,
    ages,
    fence,
    area,
    saving_weeks,
    discount,
    twice_as_many,
    pizza,
    running,
    tank,
    shopping,
    third_spent,
    farm_legs,
    average,
    pencils,
]


def author(total: int = 200, heldout: int = 40, seed: int = 20261124) -> tuple[list[dict], list[dict]]:
    """Round-robin over templates so every template appears in both splits."""
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[dict] = []
    while len(rows) < total:
        template = TEMPLATES[len(rows) % len(TEMPLATES)]
        question, steps, answer = template(rng)
        if question in seen:
            continue
        seen.add(question)
        solution = "\n".join([*steps, f"#### {answer}"])
        rows.append(
            {
                "id": f"math-{len(rows):04d}",
                "template": template.__name__,
                "question": question,
                "solution": solution,
                "answer": str(answer),
            }
        )
    rng.shuffle(rows)
    return rows[heldout:], rows[:heldout]


def main() -> None:
    root = Path(__file__).resolve().parents[1] / "data"
    seeds, held = author()
    for path, rows in (
        (root / "seeds" / "math_problems.jsonl", seeds),
        (root / "heldout" / "math_problems.jsonl", held),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sorted(rows, key=lambda r: r["id"])))
        print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main()
