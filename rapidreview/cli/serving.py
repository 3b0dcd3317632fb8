"""`rapidreview serve` and `rapidreview demo`: Datasette on a review."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

import click

from .. import demo as demo_lib
from .. import serve as serve_lib
from .common import echo_json, json_option
from .inspect import format_stats


@click.command("serve")
@click.argument("reviews", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="REVIEW_DB...")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the loopback default: a review holds unredacted text.")
@click.option("--open", "open_browser", is_flag=True, help="Open the review in a web browser.")
@click.option("--public", is_flag=True,
              help="Serve a public.db built by `rapidreview publish`: read-only, immutable, canned queries only.")
def serve_command(reviews, port, host, open_browser, public):
    """Browse and search a review in Datasette (researchers only, on this machine).

    Every table with descriptions of each column, full-text search over segments,
    facets by question, kind and attribute, and a summary page at /-/rapidreview.
    The review stays writable: you can import into it while it is served.

    The workbench at /-/workbench codes in the browser. Once the review has users
    (`rapidreview users add`), everything needs sign-in; with none, only requests from
    this machine get in. It listens on 127.0.0.1 (loopback) by default: a review holds
    unredacted personal data. To share findings with commissioners, publish a redacted
    copy instead.

    With --public it serves the commissioners' public.db instead: immutable, with the
    metadata `publish` wrote beside it (arbitrary SQL off, canned queries on).

    \b
    Example:
        rapidreview serve review.db
        rapidreview serve review.db --port 8002 --open
        rapidreview serve public.db --public --port 8001
    """
    if public:
        if len(reviews) != 1:
            raise click.UsageError("--public serves one public.db at a time.")
        ds = serve_lib.make_public_datasette(reviews[0])
    else:
        ds = serve_lib.make_datasette(reviews)
        _hint_sign_in(reviews)
    run_server(ds, host, port, open_browser, label=", ".join(Path(r).name for r in reviews), public=public)


def run_server(ds, host: str, port: int, open_browser: bool, label: str, public: bool = False) -> None:
    import uvicorn

    serve_lib.check_port(host, port)
    if not public and not serve_lib.is_loopback(host):
        click.secho(
            f"WARNING: serving on {host}, which other machines can reach. This review holds unredacted "
            "personal data: only researchers signed in with `rapidreview users` accounts get in, over "
            "plain HTTP unless a TLS proxy is in front. Stop now (Ctrl+C) unless that is intended.",
            fg="red", bold=True, err=True)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    server = uvicorn.Server(uvicorn.Config(ds.app(), host=host, port=port, log_level="warning", lifespan="on"))
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    click.echo(f"Serving {label} at {url} (Ctrl+C to stop)", err=True)
    server.run()


def _hint_sign_in(reviews) -> None:
    from .. import store, users

    for path in reviews:
        db = store.open_review(path, create=False)
        try:
            if not users.has_users(db):
                click.echo(f"Sign-in is off: {Path(path).name} has no users, so only this machine can open it. "
                           f"Add researchers with `rapidreview users add {path} NAME --role coder`.", err=True)
        finally:
            db.conn.close()


def _open_when_started(server, url: str) -> None:
    import time

    for _ in range(300):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.1)


@click.command("demo")
@click.option("--dir", "directory", default=demo_lib.DEFAULT_DIR, show_default=True,
              type=click.Path(file_okay=False), help="Where to build the demo review (DIR/review.db).")
@click.option("--corpus", type=click.Path(file_okay=False, exists=True),
              help="The corpus to use. Default: corpora/healthwatch-sample in a source checkout.")
@click.option("--no-serve", is_flag=True, help="Build the review and print its stats, but do not serve it.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to serve on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the review in a web browser.")
@json_option
def demo_command(directory, corpus, no_serve, port, open_browser, as_json):
    """The whole flow on the bundled sample corpus, then serve the result.

    Imports the Healthwatch sample (a survey export in two waves and interview and focus
    group transcripts) into DIR/review.db, redacts it, loads a starter codebook, suggests
    codes, finds themes, publishes DIR/public.db for commissioners and writes
    DIR/report.html, prints the review's stats and serves the review (with the workbench)
    on this machine. Running it again changes nothing that is already done.

    \b
    Example:
        rapidreview demo
        rapidreview demo --dir /tmp/demo --no-serve
    """
    result = demo_lib.build(directory, corpus,
                            on_step=None if as_json else lambda name, msg: click.echo(f"{name}: {msg}", err=True))
    if as_json:
        echo_json(result)
    else:
        click.echo(format_stats(result["stats"]))
    if not as_json:
        folder = Path(result["review"]).parent
        click.echo(f"\nThe review (researchers): rapidreview serve {result['review']}  -> /-/workbench to code\n"
                   f"For commissioners: rapidreview serve {folder / 'public.db'} --public  -> /-/dashboard\n"
                   f"The report: {folder / 'report.html'}", err=True)
    if not no_serve:
        ds = serve_lib.make_datasette([result["review"]], title="rapidreview demo")
        run_server(ds, "127.0.0.1", port, open_browser, label=result["review"])


commands = [serve_command, demo_command]
