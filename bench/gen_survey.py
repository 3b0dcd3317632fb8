"""Seeded generator of synthetic survey exports (wide format), for benchmarks.

    python bench/gen_survey.py 100000 -o /tmp/survey-100k.csv [--seed 7]

Columns: Respondent ID, Date submitted, Service, Area, Age group, and three free-text
questions. Text is assembled from a phrase bank, so answers vary in length and content.
"""

from __future__ import annotations

import argparse
import csv
import random

SERVICES = ["GP practice", "Hospital", "Social care", "Mental health", "Community services", "Pharmacy", "Dentist"]
AREAS = ["North", "South", "East", "West", "Central", "Riverside", "Hillside"]
AGES = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
QUESTIONS = ["What was good?", "What could be better?", "Anything else?"]
OPENERS = ["The", "My", "Our", "Honestly the", "I felt the", "Overall the", "To be fair the"]
SUBJECTS = ["receptionist", "nurse", "doctor", "care worker", "pharmacist", "social worker", "physio",
            "booking system", "waiting room", "phone line", "discharge team", "mental health team"]
GOOD = ["was kind and patient", "listened to what I had to say", "explained everything clearly",
        "sorted my prescription quickly", "made me feel safe", "treated my mum with dignity",
        "went out of their way to help", "called me back the same day"]
BAD = ["kept me waiting for over an hour", "never called back", "did not explain the medication",
       "was rude on the phone", "lost my referral", "sent me home without a care package",
       "made it impossible to book online", "would not listen to my concerns"]
TAILS = ["", "", " which made a big difference.", " and I was really anxious.", " even though they were busy.",
         " so I had to ring 111.", " and nobody told my daughter.", " again."]
BLANKS = ["", "", "N/A", "Nothing", "-", "Did not answer"]


def sentence(rng: random.Random, good: bool) -> str:
    verb = rng.choice(GOOD if good else BAD)
    return f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {verb}{rng.choice(TAILS) or '.'}"


def answer(rng: random.Random, good: bool) -> str:
    if rng.random() < 0.12:
        return rng.choice(BLANKS)
    return " ".join(sentence(rng, good if rng.random() < 0.85 else not good) for _ in range(rng.choice([1, 1, 2, 3, 5])))


def rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(1, n + 1):
        yield [f"R{i:07d}", f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025",
               rng.choice(SERVICES), rng.choice(AREAS), rng.choice(AGES),
               answer(rng, True), answer(rng, False), answer(rng, rng.random() < 0.5)]


HEADER = ["Respondent ID", "Date submitted", "Service", "Area", "Age group", *QUESTIONS]


def write_csv(path, n: int, seed: int = 7) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows(n, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_csv(args.output, args.n, args.seed)


if __name__ == "__main__":
    main()
