"""Workbench sign-in: users from the CLI, anonymous requests refused, CSRF on every write,
sessions that expire, and the private tables nobody can read through Datasette."""

from __future__ import annotations

import time

import httpx
import pytest
from workbench_helpers import add_user, csrf_from, make_review, run_async, signed_in_client

from rapidreview import serve, store, users


@pytest.fixture
def review(review_path):
    return make_review(review_path)


def test_users_cli_add_list_passwd_remove(run, review, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse\n")
    assert run("users", "add", review, "alice", "--role", "lead", "--password-file", pw).exit_code == 0
    r = run("users", "add", review, "bob", input="s3cret-pass\ns3cret-pass\n")
    assert r.exit_code == 0, r.output
    listed = run("users", "list", review, "--json").output
    assert '"alice"' in listed and '"lead"' in listed and '"bob"' in listed and "s3cret" not in listed
    db = store.open_review(review)
    assert users.authenticate(db, "bob", "s3cret-pass") == {"name": "bob", "role": "coder"}
    assert users.authenticate(db, "bob", "wrong-pass") is None
    stored = db.execute("SELECT password FROM users WHERE name = 'bob'").fetchone()[0]
    assert "s3cret" not in stored and stored.startswith("scrypt$")
    pw.write_text("new password 2\n")
    assert run("users", "passwd", review, "bob", "--password-file", pw, "--role", "lead").exit_code == 0
    assert users.authenticate(db, "bob", "new password 2") == {"name": "bob", "role": "lead"}
    assert run("users", "remove", review, "bob").exit_code == 0
    assert users.authenticate(db, "bob", "new password 2") is None
    actions = [r[0] for r in db.execute("SELECT action FROM events WHERE action LIKE 'user.%' ORDER BY id")]
    assert actions == ["user.add", "user.add", "user.passwd", "user.role", "user.remove"]


def test_users_cli_errors(run, review, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("short\n")
    r = run("users", "add", review, "carol", "--password-file", pw)
    assert r.exit_code == 1 and "too short" in r.output
    r = run("users", "remove", review, "nobody")
    assert r.exit_code == 1 and "no user 'nobody'" in r.output


def test_session_secret_survives_restart_and_differs_per_review(tmp_path):
    a = make_review(tmp_path / "a.db", transcript=None)
    b = make_review(tmp_path / "b.db", transcript=None)
    assert serve.make_datasette([a])._secret == serve.make_datasette([a])._secret
    assert serve.make_datasette([a])._secret != serve.make_datasette([b])._secret


def test_no_users_means_this_machine_only(review):
    ds = serve.make_datasette([review])

    async def go():
        local = await ds.client.get("/-/workbench")
        table = await ds.client.get("/review/documents.json")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ds.app(), client=("10.1.2.3", 5000)),
                                     base_url="http://10.0.0.5") as remote:
            far = await remote.get("/review/documents.json")
        return local, table, far

    local, table, far = run_async(go())
    assert local.status_code == 200 and "Sign-in is off" in local.text
    assert table.status_code == 200
    assert far.status_code == 403


def test_anonymous_refused_and_sign_in(review, live_server):
    add_user(review, "alice", "correct horse", "coder")
    server = live_server(review)
    with httpx.Client(base_url=server.url, follow_redirects=False) as anon:
        assert anon.get("/-/versions.json").status_code == 200
        for path in ["/", "/review", "/review/segments", "/-/workbench", "/-/workbench/document/1"]:
            r = anon.get(path)
            assert r.status_code == 302 and "/-/workbench/login" in r.headers["location"], path
        for path in ["/review.json", "/review/segments.json", "/review/documents.json?_shape=array",
                     "/review.json?sql=select+text+from+documents", "/-/rapidreview.json"]:
            r = anon.get(path)
            assert r.status_code == 403, path
            assert "Parking" not in r.text
        # Signing in from another site's form (no cookies at all, so asgi-csrf does not look): refused.
        r = httpx.post(server.url + "/-/workbench/login", data={"name": "alice", "password": "correct horse"})
        assert r.status_code == 403 and "ds_actor" not in r.cookies
        # A write with no session at all is refused too.
        assert anon.post("/-/workbench/document/1/apply", json={"codes": [5], "start": 0, "end": 4}).status_code == 403
        # Wrong password: refused, then throttled.
        form = anon.get("/-/workbench/login")
        token = csrf_from(form.text)
        for _ in range(5):
            r = anon.post("/-/workbench/login", data={"name": "alice", "password": "nope", "csrftoken": token})
            assert r.status_code == 403 and "do not match" in r.text
        r = anon.post("/-/workbench/login", data={"name": "alice", "password": "correct horse", "csrftoken": token})
        assert r.status_code == 429
    # (the throttle is per name and address: a fresh server lets alice in)


def test_sign_in_csrf_and_logout(review, live_server):
    add_user(review, "alice", "correct horse", "coder")
    server = live_server(review)
    alice = signed_in_client(server, "alice", "correct horse")
    assert alice.get("/review/documents.json").status_code == 200
    page = alice.get("/-/workbench")
    assert page.status_code == 200 and "alice (coder)" in page.text
    # Login form without the CSRF token: refused by Datasette's asgi-csrf.
    r = alice.http.post("/-/workbench/login", data={"name": "alice", "password": "correct horse"})
    assert r.status_code == 403
    # A write without the token (JSON, form, or a bad header) is refused and changes nothing.
    before = _codings(review)
    assert alice.http.post("/-/workbench/document/2/apply", json={"codes": [5], "start": 0, "end": 7}).status_code == 403
    assert alice.http.post("/-/workbench/document/2/apply", data={"code": "5", "start": "0", "end": "7"}).status_code == 403
    assert alice.http.post("/-/workbench/document/2/apply", json={"codes": [5], "start": 0, "end": 7},
                           headers={"x-csrftoken": "forged"}).status_code == 403
    assert _codings(review) == before
    ok = alice.post("/-/workbench/document/2/apply", json={"codes": [5], "start": 0, "end": 7})
    assert ok.status_code == 200 and ok.json()["ok"]
    assert _codings(review) == before + [(2, 0, 7, "parking", "alice")]
    # Sign out: the cookie is gone and the pages are closed again.
    r = alice.http.post("/-/workbench/logout", data={"csrftoken": alice.csrftoken()})
    assert r.status_code == 302
    assert alice.get("/review/documents.json").status_code == 403


def _codings(path):
    db = store.open_review(path)
    try:
        return [tuple(r) for r in db.execute(
            'SELECT g.document_id, g.start, g."end", c.key, g.coder FROM codings g JOIN codes c ON c.id = g.code_id '
            "ORDER BY g.id")]
    finally:
        db.conn.close()


def test_expired_cookie_removed_user_and_role_change(review):
    from datasette.utils import baseconv
    from rapidreview_plugins.workbench import access

    add_user(review, "alice", "correct horse", "lead")
    add_user(review, "bob", "correct horse", "coder")  # so removing alice leaves sign-in on
    ds = serve.make_datasette([review])

    def cookie(expires_in):
        e = baseconv.base62.encode(int(time.time()) + expires_in)
        return {"ds_actor": ds.sign({"a": access.cookie_actor(ds, "alice", "lead"), "e": e}, "actor")}

    async def get(path, cookies):
        access.forget_users(ds)
        return await ds.client.get(path, cookies=cookies)

    assert run_async(get("/review/documents.json", cookie(3600))).status_code == 200
    assert run_async(get("/review/documents.json", cookie(-10))).status_code == 403
    # Forged cookie (signed with another secret): refused.
    other = serve.make_datasette([make_review(review.parent / "other.db", transcript=None)])
    forged = {"ds_actor": other.sign({"a": {"id": "alice", "rr_role": "lead"}}, "actor")}
    assert run_async(get("/review/documents.json", forged)).status_code == 403
    # The role in the cookie is not trusted: the users table says what alice may do now.
    db = store.open_review(review)
    signed_in = cookie(3600)
    users.set_role(db, "alice", "coder")
    r = run_async(get("/-/workbench", signed_in))
    assert "alice (coder)" in r.text
    # A new password signs out every session from before it.
    users.set_password(db, "alice", "a new password")
    assert run_async(get("/review/documents.json", signed_in)).status_code == 403
    assert run_async(get("/review/documents.json", cookie(3600))).status_code == 200
    users.remove_user(db, "alice")
    assert run_async(get("/review/documents.json", cookie(3600))).status_code == 403


def test_private_tables_unreadable_even_by_a_lead(review):
    from rapidreview_plugins.workbench import access

    add_user(review, "alice", "correct horse", "lead")
    ds = serve.make_datasette([review])
    signed = {"ds_actor": ds.sign({"a": access.cookie_actor(ds, "alice", "lead")}, "actor")}

    async def go():
        return [await ds.client.get(p, cookies=signed) for p in [
            "/review/users.json", "/review/review_secrets.json", "/review.db",
            "/review.json?sql=select+name,password+from+users&_shape=array",
            "/review.json?sql=select+value+from+review_secrets&_shape=array"]]

    table, secrets_table, download, sql_users, sql_secret = run_async(go())
    assert table.status_code == 403 and secrets_table.status_code == 403 and download.status_code == 403
    assert sql_users.status_code == 200 and sql_users.json() == [{"name": None, "password": None}]
    assert sql_secret.json() == [{"value": None}]
    assert ds._secret not in sql_secret.text
