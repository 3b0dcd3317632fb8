"""A review with machine suggestions to work through, for the queue and agreement tests.

    make_suggested_review(review_path)          # ~80 answers, rule and lexicon suggestions, ranked
    seed_decisions(review_path, "alice")        # enough human decisions for the model to train
"""

from __future__ import annotations

import random

from workbench_helpers import XSS, _yaml_str, make_review

from rapidreview import store
from rapidreview.coding import queue, suggest

SERVICES = ["GP", "Pharmacy", "Dentist", "Hospital"]
GOOD = ["the receptionist was kind and patient", "the nurse listened to me", "I got an appointment the same day",
        "the doctor explained everything clearly", "staff were friendly and helpful"]
BAD = ["I waited two hours in the waiting room", "the phone line was engaged all morning",
       "nobody called me back about my appointment", "parking was impossible and expensive",
       "the wait for a referral was months", "staff were rude on the phone"]

CODEBOOK = """\
name: Queue test codes
codes:
  - key: appointments
    name: Getting an appointment
    description: Ease or difficulty of getting an appointment.
    include: Booking, availability.
    colour: "#1f77b4"
    rules:
      keywords: [appointment, referral]
  - key: phone
    name: Getting through by phone
    description: Phone queues and call-backs.
    colour: "#17becf"
    rules:
      keywords: [phone, called, engaged]
  - key: staff
    name: Staff attitude
    description: Kindness, rudeness, listening.
    colour: "#2ca02c"
    rules:
      keywords: [kind, rude, listened, friendly, patient]
  - key: waiting
    name: Waiting
    description: Time spent waiting.
    colour: "#ff7f0e"
    rules:
      keywords: [waited, wait, waiting]
  - key: parking
    name: Parking
    description: Parking at the service.
    colour: "#d62728"
    rules:
      keywords: [parking]
"""


def answers(n: int, seed: int = 3, xss: bool = False):
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        good = ". ".join(rng.sample(GOOD, rng.choice([1, 2]))).capitalize() + "."
        bad = ". ".join(rng.sample(BAD, rng.choice([1, 2]))).capitalize() + "."
        service = rng.choice(SERVICES)
        if xss and i <= 3:
            good, service = f"{XSS[i - 1]} the nurse listened to me.", XSS[i - 1]
        out.append((f"R{i}", service, good, bad))
    return out


def make_suggested_review(review_path, *, n: int = 80, xss: bool = False, rank: bool = True):
    """Survey answers with a Service attribute, a transcript, a codebook with keyword rules,
    and `rapidreview code --no-model` run: rule and sentiment-lexicon suggestions."""
    book = CODEBOOK
    if xss:  # a code named with a payload, with a rule that fires, so the queue shows it
        book += (f"  - key: xss\n    name: {_yaml_str(XSS[0])}\n    description: {_yaml_str(XSS[1])}\n"
                 f"    rules:\n      keywords: [nurse]\n")
    make_review(review_path, answers=answers(n, xss=xss), codebook_yaml=book)
    db = store.open_review(review_path, create=False)
    try:
        suggest.code(db, suggest.CodeOptions(model=False), actor="setup")
        if rank:
            queue.rank(db)
    finally:
        db.conn.close()
    return review_path


def seed_decisions(review_path, coder: str, *, per_code: int = 8) -> int:
    """Accept the first `per_code` queue suggestions of each keyword code and reject as
    many of the lexicon's: enough positives and negatives for the model to learn."""
    db = store.open_review(review_path, create=False)
    n = 0
    try:
        taken: dict[str, int] = {}
        for s in queue.queue(db):
            kind = "accept" if s.rule and not s.rule.startswith("lexicon") else "reject"
            key = (kind, s.code)
            if taken.get(key, 0) >= per_code:
                continue
            taken[key] = taken.get(key, 0) + 1
            queue.decide(db, s.id, kind, actor=coder)
            n += 1
    finally:
        db.conn.close()
    return n
