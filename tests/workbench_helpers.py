"""Helpers for the workbench tests: a small review, users, and signed-in browsers or clients.

    from workbench_helpers import make_review, add_user, sign_in, signed_in_client
    make_review(review_path)                      # survey answers, a transcript, a codebook
    add_user(review_path, "alice", "correct horse", "lead")
    server = live_server(review_path)
    sign_in(page, server, "alice", "correct horse")             # Chromium (the `page` fixture)
    client = signed_in_client(server, "alice", "correct horse")  # httpx, with client.csrf_headers()
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rapidreview import codebook, store, users
from rapidreview.ingest import ImportOptions, import_files

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]

ANSWERS = [
    # (respondent, service, what was good, what could be better)
    ("R1", "GP", "The receptionist was kind and I got an appointment the same day.",
     "Parking was impossible and I waited 40 minutes."),
    ("R2", "Pharmacy", "Café staff smiled — très bien 😀 and explained my medicine.",
     "The phone queue was 27 deep, then it cut me off."),
    ("R3", "Dentist", "Nothing", "No NHS dentist within 30 miles is taking patients."),
    ("R4", "GP", "Nurse Jo listened to me properly.", "Waiting room was cold and noisy."),
    ("R5", "Hospital", "Clean ward and friendly porters.", "Discharge took all day; nobody told us why."),
]

TRANSCRIPT = """\
[00:00:05] Interviewer: Can you tell me about your last visit?
[00:00:12] Participant: I rang at 8am and was number 27 in the queue. By the time I got through there were no appointments left.
[00:01:03] Interviewer: How did that make you feel?
[00:01:10] Participant: Honestly, exhausted. The receptionist was kind though, she booked me for the next morning.
"""

CODEBOOK = """\
name: Workbench test codes
codes:
  - key: access
    name: Access
    codable: false
    description: Getting into services at all.
    colour: "#1f77b4"
    children:
      - key: appointments
        name: Getting an appointment
        description: Ease or difficulty of getting an appointment.
        colour: "#1f77b4"
      - key: phone
        name: Getting through by phone
        description: Phone queues and call-backs.
        colour: "#17becf"
  - key: staff
    name: Staff attitude
    description: Kindness, rudeness, listening.
    colour: "#2ca02c"
  - key: parking
    name: Parking
    description: Parking at the service.
    colour: "#d62728"
  - key: waiting
    name: Waiting
    description: Time spent waiting.
    colour: "#ff7f0e"
"""


def make_review(review_path, *, answers=ANSWERS, transcript: str | None = TRANSCRIPT, codebook_yaml: str = CODEBOOK,
                extra_code: str | None = None) -> Path:
    """A review with survey answers (two questions, a Service attribute), one transcript and
    a codebook. `extra_code` adds a code with that name (e.g. an XSS payload)."""
    review_path = Path(review_path)
    work = review_path.parent / (review_path.stem + "-inputs")
    work.mkdir(parents=True, exist_ok=True)
    survey = work / "survey.csv"
    with open(survey, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Respondent ID", "Service", "What was good?", "What could be better?"])
        w.writerows(answers)
    db = store.open_review(review_path)
    try:
        import_files(db, [survey], ImportOptions.from_dict(
            {"text": ["What was good?", "What could be better?"], "id": "Respondent ID", "attrs": ["Service"]}))
        if transcript:
            t = work / "interview-1.txt"
            t.write_text(transcript, encoding="utf-8")
            import_files(db, [t], ImportOptions())
        yaml_text = codebook_yaml
        if extra_code:
            yaml_text += f"  - key: extra\n    name: {_yaml_str(extra_code)}\n    description: {_yaml_str(extra_code)}\n"
        book_file = work / "codebook.yaml"
        book_file.write_text(yaml_text, encoding="utf-8")
        codebook.load_codebook(db, codebook.read(book_file), source=str(book_file))
    finally:
        db.conn.close()
    return review_path


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_user(review_path, name: str, password: str, role: str = "coder") -> None:
    db = store.open_review(review_path, create=False)
    try:
        users.add_user(db, name, password, role, actor="test")
    finally:
        db.conn.close()


def sign_in(page, server, name: str, password: str, next_path: str = "/-/workbench") -> None:
    """Sign in through the real form in Chromium; waits until the workbench has loaded."""
    page.goto(server.url + "/-/workbench/login?next=" + next_path)
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/-/workbench(?!/login).*"))


class SignedInClient:
    """An httpx.Client signed in as one user, that knows its CSRF token."""

    def __init__(self, server, name: str, password: str):
        import httpx

        self.url = server.url
        self.http = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
        form = self.http.get("/-/workbench/login")
        token = csrf_from(form.text)
        r = self.http.post("/-/workbench/login", data={"name": name, "password": password, "csrftoken": token})
        if r.status_code not in (302, 303) or "ds_actor" not in self.http.cookies:
            raise AssertionError(f"sign-in as {name} failed: {r.status_code} {r.text[:300]}")

    def csrftoken(self) -> str:
        return self.http.cookies.get("ds_csrftoken")

    def csrf_headers(self) -> dict:
        return {"x-csrftoken": self.csrftoken()}

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, **kw):
        """POST with the CSRF token in the x-csrftoken header (as workbench.js sends it)."""
        headers = {**self.csrf_headers(), **kw.pop("headers", {})}
        return self.http.post(path, headers=headers, **kw)

    def close(self):
        self.http.close()


def signed_in_client(server, name: str, password: str) -> SignedInClient:
    return SignedInClient(server, name, password)


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert m, "no csrftoken field in the page"
    return m[1]


def run_async(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (the session-wide `chromium`
    fixture) leaves an event loop running in the main thread, where asyncio.run refuses."""
    import asyncio
    import threading

    out = {}

    def target():
        try:
            out["value"] = asyncio.run(coro)
        except BaseException as e:  # re-raised in the test's thread
            out["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def query(path, sql: str, args=()) -> list[tuple]:
    """Rows from the review file, as the tests check what a page wrote."""
    db = store.open_review(path)
    try:
        return [tuple(r) for r in db.execute(sql, list(args))]
    finally:
        db.conn.close()


def select_text(page, quote: str) -> None:
    """Select `quote` in the reader as a mouse drag would: a DOM Range over the exact text."""
    page.evaluate("""(quote) => {
        const el = [...document.querySelectorAll('#wb-text .wb-p')].find(e => e.textContent.includes(quote));
        const node = el.firstChild, at = node.data.indexOf(quote);
        const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + quote.length);
        const s = getSelection(); s.removeAllRanges(); s.addRange(r);
        document.dispatchEvent(new Event('selectionchange'));
    }""", quote)
