"""Commands: `codebook ...` (files and versions), `apply` / `unapply` (manual coding), `memo ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import codebook as cb
from .. import memos, store
from ..coding import manual
from ..errors import RapidReviewError
from .common import echo_json, echo_rows, json_option, open_existing, review_argument, table

FORMAT_CHOICE = click.Choice(["yaml", "qdc", "csv", "xlsx"])


def codebook_option(f):
    return click.option("--codebook", "codebook_name", metavar="NAME",
                        help="Which codebook, when the review has several.")(f)


def coder_option(f):
    return click.option("--coder", envvar="RAPIDREVIEW_USER", metavar="NAME",
                        help="Who is coding. Default: $RAPIDREVIEW_USER, else your login name.")(f)


@click.group("codebook")
def codebook_group():
    """Codebooks: write, check, load (as versions), compare, export, merge and split codes.

    A codebook is a YAML file you keep and edit (format: codebooks/README.md). Every load
    of a changed file is a new version; codings follow each code's `key`, so renaming a
    code keeps its codings.

    \b
    Quick start:
        rapidreview codebook new my-codebook.yaml
        rapidreview codebook validate my-codebook.yaml
        rapidreview codebook load review.db my-codebook.yaml
        rapidreview codebook show review.db
    """


# ---------------------------------------------------------------- files


@codebook_group.command("new")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name", help="The codebook's name. Default: from the file name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new_command(path, name, force):
    """Write a starter codebook YAML file to edit.

    \b
    Example:
        rapidreview codebook new access-review.yaml --name "Access review"
    """
    target = Path(path)
    if target.exists() and not force:
        raise RapidReviewError(f"{target} already exists; choose another name or add --force")
    name = name or target.stem.replace("-", " ").replace("_", " ").strip().capitalize() or "My codebook"
    target.write_text(cb.template(name), encoding="utf-8")
    click.echo(f"Wrote {target}: edit it, then `rapidreview codebook validate {target}`.", err=True)


@codebook_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="File format. Default: from the extension.")
@json_option
def validate_command(paths, fmt, as_json):
    """Check codebook files: structure, duplicate keys and names, rule patterns.

    Every problem is listed with its line (or row) and field. Exit code 1 if any file
    has a problem.

    \b
    Examples:
        rapidreview codebook validate codebooks/*.yaml
        rapidreview codebook validate codes.xlsx
    """
    report, failed = [], False
    for path in paths:
        try:
            book = cb.read(path, fmt=fmt)
        except cb.CodebookError as e:
            failed = True
            report.append({"path": path, "ok": False, "problems": [str(p) for p in e.problems]})
            if not as_json:
                click.echo(str(e), err=True)
            continue
        n = sum(1 for _ in book.walk())
        report.append({"path": path, "ok": True, "codebook": book.name, "codes": n})
        if not as_json:
            click.echo(f"{path}: ok ({book.name!r}, {n} codes)")
    if as_json:
        echo_json(report)
    if failed:
        sys.exit(1)


# ---------------------------------------------------------------- review


def _load(review, path, fmt, name, archive_missing, as_json, out_yaml=None):
    book = cb.read(path, fmt=fmt, name=name)
    db = store.open_review(review)
    result = cb.load_codebook(db, book, source=str(path), archive_missing=archive_missing)
    if out_yaml:
        cb.write_yaml(cb.codebook_from_db(db, book.name), out_yaml)
    if as_json:
        echo_json(result.as_dict())
        return
    if not result.changed:
        click.echo(f"{book.name!r} is unchanged (version {result.version}).", err=True)
        return
    summary = ", ".join(f"{n} {k}" for k, n in result.diff.summary().items() if k != "book") or "details only"
    click.echo(f"Loaded {book.name!r} as version {result.version} ({summary}).", err=True)
    if result.adopted:
        shown = ", ".join(map(repr, result.adopted[:6])) + (", ..." if len(result.adopted) > 6 else "")
        click.echo(f"Adopted {len(result.adopted)} imported code(s) with their codings: {shown}", err=True)
    if result.archived:
        click.echo(f"Archived (they left the file but have codings): {', '.join(result.archived)}", err=True)
    if result.deleted:
        click.echo(f"Deleted (they left the file, no codings): {', '.join(result.deleted)}", err=True)
    for u in result.unmatched:
        near = f" (nearest: {', '.join(map(repr, u['nearest']))})" if u["nearest"] else ""
        click.echo(f"Warning: imported code {u['name']!r} is not in this codebook{near}", err=True)
    for w in result.warnings:
        click.echo(f"Warning: {w}", err=True)
    if out_yaml:
        click.echo(f"Wrote {out_yaml}", err=True)


@codebook_group.command("load")
@review_argument
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="File format. Default: from the extension.")
@click.option("--name", help="Load under this codebook name instead of the file's.")
@click.option("--archive-missing", is_flag=True,
              help="Codes that left the file but have codings are archived (kept, hidden) instead of refused.")
@json_option
def load_command(review, path, fmt, name, archive_missing, as_json):
    """Load a codebook file into a review: a new version when it changed.

    Codes are matched on `key`: a changed name is a rename and keeps its codings. Codes an
    import created (the 'imported' codebook) are adopted by name, with their codings. A
    code that left the file is deleted when it has no codings; when it has some, the load
    is refused unless you say --archive-missing.

    \b
    Examples:
        rapidreview codebook load review.db codebooks/nhs-patient-experience.yaml
        rapidreview codebook load review.db my-codebook.yaml --archive-missing
    """
    _load(review, path, fmt, name, archive_missing, as_json)


@codebook_group.command("import")
@review_argument
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="File format. Default: from the extension.")
@click.option("--name", help="Codebook name. Default: the file name.")
@click.option("-o", "--yaml", "out_yaml", type=click.Path(dir_okay=False),
              help="Also write the codebook as YAML, to keep and edit from now on.")
@click.option("--archive-missing", is_flag=True, help="As for `codebook load`.")
@json_option
def import_command(review, path, fmt, name, out_yaml, archive_missing, as_json):
    """Import a codebook from another tool: REFI-QDA .qdc, CSV or XLSX.

    A .qdc comes from NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette; code GUIDs are kept
    so the codebook can go back. A CSV/XLSX has one row per code: a `code` column (the
    name) and optionally parent, key, description, include, exclude, examples, colour,
    group, keywords.

    \b
    Examples:
        rapidreview codebook import review.db atlas-codebook.qdc -o codebook.yaml
        rapidreview codebook import review.db codes.xlsx --name "Access review"
    """
    _load(review, path, fmt, name, archive_missing, as_json, out_yaml)


@codebook_group.command("list")
@review_argument
@json_option
def list_command(review, as_json):
    """The review's codebooks, with versions, codes and codings.

    \b
    Example:
        rapidreview codebook list review.db
    """
    rows = cb.list_codebooks(open_existing(review))
    echo_rows(rows, ["name", "version", "codes", "archived", "codings", "path"], as_json)


@codebook_group.command("show")
@review_argument
@codebook_option
@click.option("--archived", is_flag=True, help="Include archived codes.")
@click.option("--versions", "show_versions", is_flag=True, help="List the versions instead of the codes.")
@json_option
def show_command(review, codebook_name, archived, show_versions, as_json):
    """Show a codebook's code tree with codings per code, or its versions.

    \b
    Examples:
        rapidreview codebook show review.db
        rapidreview codebook show review.db --codebook "NHS patient experience" --versions
    """
    db = open_existing(review)
    if show_versions:
        rows = cb.versions(db, codebook_name)
        if as_json:
            echo_json(rows)
        else:
            for r in rows:
                r["changes"] = ", ".join(f"{k}: {v}" for k, v in r["changes"].items())
            click.echo(table(rows, ["version", "label", "created_at", "by", "source", "changes"]))
        return
    book = cb.codebook_from_db(db, codebook_name, include_archived=archived)
    counts = cb.accepted_counts(db, book.name)
    if as_json:
        data = book.to_dict()
        data["codings"] = counts
        echo_json(data)
        return
    click.echo(f"{book.name}" + (f" ({book.version})" if book.version else ""))
    for code, _, _ in book.walk():
        depth = _depth(book, code)
        n = counts.get(code.key, 0)
        heading = "" if code.codable else "  [category]"
        click.echo(f"{'  ' * (depth + 1)}{code.name}  [{code.key}]{heading}" + (f"  {n} codings" if n else ""))


def _depth(book, target) -> int:
    def find(codes, depth):
        for c in codes:
            if c is target:
                return depth
            d = find(c.children, depth + 1)
            if d is not None:
                return d
        return None
    return find(book.codes, 0) or 0


@codebook_group.command("diff")
@review_argument
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
@codebook_option
@click.option("--from", "from_version", type=int, help="Older version number. Default: the one before --to.")
@click.option("--to", "to_version", type=int, help="Newer version number. Default: the latest.")
@json_option
def diff_command(review, path, codebook_name, from_version, to_version, as_json):
    """What changed between two versions of a codebook, or between a file and the review.

    \b
    Examples:
        rapidreview codebook diff review.db                    # last load's changes
        rapidreview codebook diff review.db --from 1 --to 3
        rapidreview codebook diff review.db my-codebook.yaml   # what loading it would change
    """
    db = open_existing(review)
    if path:
        book = cb.read(path)
        try:
            _, current = cb.version_content(db, codebook_name or book.name)
        except RapidReviewError:
            current = None
        diff = cb.diff_books(current, book)
    else:
        diff = cb.diff_versions(db, codebook_name, from_version, to_version)
    if as_json:
        echo_json(diff.as_dict())
    else:
        click.echo("\n".join(diff.lines()) or "(no changes)")


@codebook_group.command("export")
@review_argument
@codebook_option
@click.option("--format", "fmt", type=FORMAT_CHOICE, help="Default: from -o's extension, else yaml.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write. Default: stdout (not xlsx).")
@click.option("--archived", is_flag=True, help="Include archived codes.")
def export_command(review, codebook_name, fmt, output, archived):
    """Write the review's current codebook as YAML, REFI-QDA .qdc, CSV or XLSX.

    \b
    Examples:
        rapidreview codebook export review.db -o codebook.yaml
        rapidreview codebook export review.db --format qdc -o codebook.qdc   # for NVivo, ATLAS.ti...
    """
    fmt = fmt or (cb.format_of(output) if output else "yaml")
    book = cb.codebook_from_db(open_existing(review), codebook_name, include_archived=archived)
    if output:
        cb.write(book, output, fmt=fmt)
        click.echo(f"Wrote {output}", err=True)
    elif fmt == "yaml":
        click.echo(cb.dumps_yaml(book), nl=False)
    elif fmt == "qdc":
        click.echo(cb.dumps_qdc(book).decode("utf-8"), nl=False)
    elif fmt == "csv":
        import csv

        csv.writer(sys.stdout).writerows(cb.tabular.codebook_rows(book))
    else:
        raise RapidReviewError("xlsx needs a file: add -o codebook.xlsx")


@codebook_group.command("merge")
@review_argument
@click.argument("sources", nargs=-1, required=True)
@click.option("--into", required=True, metavar="CODE", help="The code that takes the others' codings.")
@codebook_option
@json_option
def merge_command(review, sources, into, codebook_name, as_json):
    """Merge codes into one: their codings move to it and they are archived.

    Where both codes were applied to the same span by the same coder, one coding stays
    (with the stronger decision: accepted over rejected over suggested).

    \b
    Example:
        rapidreview codebook merge review.db rude-staff unhelpful-staff --into staff-attitude
    """
    result = cb.merge_codes(store.open_review(review, create=False), list(sources), into, codebook=codebook_name)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Merged {', '.join(result['merged'])} into {result['into']}: {result['moved']} codings moved, "
                   f"{result['collided']} duplicates folded (version {result['version']}).", err=True)


def _key_name(ctx, param, values):
    out = []
    for v in values:
        key, sep, name = v.partition(":")
        if not sep or not key.strip() or not name.strip():
            raise click.BadParameter(f"{v!r}: use KEY:NAME, e.g. --into phone-access:'Phone access'")
        out.append((key.strip(), name.strip()))
    return out


@codebook_group.command("split")
@review_argument
@click.argument("source")
@click.option("--into", "into", multiple=True, required=True, callback=_key_name, metavar="KEY:NAME",
              help="A new code (repeat for each).")
@click.option("--codings-to", metavar="KEY", help="Which new code gets the existing codings. Default: the first.")
@click.option("--keep-parent", is_flag=True,
              help="Keep the old code as a category heading over the new ones, instead of archiving it.")
@codebook_option
@json_option
def split_command(review, source, into, codings_to, keep_parent, codebook_name, as_json):
    """Split a code into new codes; its codings move to one of them to re-sort by hand.

    \b
    Example:
        rapidreview codebook split review.db access --into phone-access:"Phone access" \\
            --into online-access:"Online access" --keep-parent
    """
    result = cb.split_code(store.open_review(review, create=False), source, into, codings_to=codings_to,
                           keep_parent=keep_parent, codebook=codebook_name)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Split {result['split']} into {', '.join(result['into'])}; {result['moved']} codings moved to "
                   f"{result['codings_to']} (version {result['version']}).", err=True)


@codebook_group.command("archive")
@review_argument
@click.argument("code")
@click.option("--undo", is_flag=True, help="Unarchive instead.")
@codebook_option
@json_option
def archive_command(review, code, undo, codebook_name, as_json):
    """Archive a code (and its children): codings are kept, the code is no longer offered.

    \b
    Examples:
        rapidreview codebook archive review.db parking
        rapidreview codebook archive review.db parking --undo
    """
    result = cb.archive_code(store.open_review(review, create=False), code, codebook=codebook_name, undo=undo)
    if as_json:
        echo_json(result)
    else:
        verb = "Unarchived" if undo else "Archived"
        click.echo(f"{verb} {code} ({result['codes']} code(s), version {result['version']}).", err=True)


@codebook_group.command("delete")
@review_argument
@click.argument("code")
@codebook_option
def delete_command(review, code, codebook_name):
    """Delete a code that has no codings (refused if it has any: archive it instead).

    \b
    Example:
        rapidreview codebook delete review.db draft-code
    """
    result = cb.delete_code(store.open_review(review, create=False), code, codebook=codebook_name)
    click.echo(f"Deleted {result['deleted']} (version {result['version']}).", err=True)


# ---------------------------------------------------------------- manual coding


def where_options(f):
    f = click.option("--occurrence", type=int, metavar="N", help="With --quote: which occurrence (from 1).")(f)
    f = click.option("--quote", metavar="TEXT", help="With --document: the exact text to code (finds its offsets).")(f)
    f = click.option("--end", type=int, metavar="N", help="With --document: end offset (exclusive).")(f)
    f = click.option("--start", type=int, metavar="N", help="With --document: start character offset.")(f)
    f = click.option("--document", metavar="ID", help="Document external id (or row id).")(f)
    f = click.option("--segment", type=int, metavar="ID", help="Segment id.")(f)
    return f


def _echo_coding(result, as_json):
    if as_json:
        echo_json(result)
        return
    verb = {"applied": "Applied", "accepted": "Accepted", "unchanged": "Already applied:", "removed": "Removed"}
    click.echo(f"{verb[result['action']]} {result['code']} ({result['coder']}) on {result['external_id']} "
               f"{result['start']}-{result['end']}: {result['text'][:80]!r}", err=True)


@click.command("apply")
@review_argument
@click.argument("code")
@where_options
@coder_option
@codebook_option
@json_option
def apply_command(review, code, segment, document, start, end, quote, occurrence, coder, codebook_name, as_json):
    """Apply a code by hand to a segment or an exact span of a document.

    CODE is a code's key, name or id. Offsets count characters of the document's text
    from 0; --quote finds them for you. Each coder's codings are their own.

    \b
    Examples:
        rapidreview apply review.db parking --segment 12
        rapidreview apply review.db "Staff manner & personal attributes" --document "NEAS 1 - Q1"
        rapidreview apply review.db waiting --document R17 --quote "waited four hours" --coder alice
        rapidreview apply review.db waiting --document R17 --start 40 --end 57
    """
    result = manual.apply_code(store.open_review(review, create=False), code, coder=coder, codebook=codebook_name,
                               segment=segment, document=document, start=start, end=end, quote=quote,
                               occurrence=occurrence)
    _echo_coding(result, as_json)


@click.command("unapply")
@review_argument
@click.argument("code")
@where_options
@coder_option
@codebook_option
@json_option
def unapply_command(review, code, segment, document, start, end, quote, occurrence, coder, codebook_name, as_json):
    """Remove your own coding of a code from a segment or span (others' stay).

    \b
    Example:
        rapidreview unapply review.db parking --segment 12 --coder alice
    """
    result = manual.remove_code(store.open_review(review, create=False), code, coder=coder, codebook=codebook_name,
                                segment=segment, document=document, start=start, end=end, quote=quote,
                                occurrence=occurrence)
    _echo_coding(result, as_json)


# ---------------------------------------------------------------- memos


@click.group("memo")
def memo_group():
    """Memos: notes on documents, segments, codes, themes or the whole review.

    \b
    Examples:
        rapidreview memo add review.db "Several mention the new phone system" --code contacting-services
        rapidreview memo list review.db --code contacting-services
    """


def target_options(f):
    f = click.option("--review", "about_review", is_flag=True, help="About the review as a whole.")(f)
    f = click.option("--theme", type=int, metavar="ID", help="About a theme.")(f)
    f = click.option("--code", metavar="CODE", help="About a code (key or name).")(f)
    f = click.option("--segment", type=int, metavar="ID", help="About a segment.")(f)
    f = click.option("--document", metavar="ID", help="About a document (external id or row id).")(f)
    return f


def _target(document, segment, code, theme, about_review, required: bool):
    given = [(t, v) for t, v in (("document", document), ("segment", segment), ("code", code), ("theme", theme))
             if v is not None]
    if about_review:
        given.append(("review", None))
    if len(given) > 1:
        raise click.UsageError("say one of --document, --segment, --code, --theme or --review")
    if not given:
        if required:
            raise click.UsageError("say what the memo is about: --document, --segment, --code, --theme or --review")
        return None, None
    return given[0]


@memo_group.command("add")
@review_argument
@click.argument("text")
@target_options
@click.option("--author", envvar="RAPIDREVIEW_USER", metavar="NAME", help="Default: $RAPIDREVIEW_USER or login.")
@codebook_option
@json_option
def memo_add(review, text, document, segment, code, theme, about_review, author, codebook_name, as_json):
    """Add a memo. TEXT '-' reads it from stdin.

    \b
    Examples:
        rapidreview memo add review.db "Mentions a named nurse: check redaction" --document "R17"
        rapidreview memo add review.db "Merged phone and online access here" --review
    """
    target, ref = _target(document, segment, code, theme, about_review, True)
    if text == "-":
        text = sys.stdin.read()
    memo = memos.add_memo(store.open_review(review, create=False), target, ref, text, author=author,
                          codebook=codebook_name)
    if as_json:
        echo_json(memo)
    else:
        click.echo(f"Memo {memo['id']} added to {target} {memo['about'] or ''}".rstrip() + ".", err=True)


@memo_group.command("list")
@review_argument
@target_options
@click.option("--author", metavar="NAME", help="Only this author's memos.")
@codebook_option
@json_option
def memo_list(review, document, segment, code, theme, about_review, author, codebook_name, as_json):
    """List memos, all or about one thing.

    \b
    Examples:
        rapidreview memo list review.db
        rapidreview memo list review.db --document R17 --json
    """
    target, ref = _target(document, segment, code, theme, about_review, False)
    rows = memos.list_memos(open_existing(review), target, ref, author=author, codebook=codebook_name)
    echo_rows(rows, ["id", "target", "about", "author", "created_at", "text"], as_json)


@memo_group.command("delete")
@review_argument
@click.argument("memo_id", type=int)
@click.option("--author", envvar="RAPIDREVIEW_USER", metavar="NAME", help="Who deletes it (for the log).")
def memo_delete(review, memo_id, author):
    """Delete a memo (the event log keeps its text).

    \b
    Example:
        rapidreview memo delete review.db 3
    """
    memos.delete_memo(store.open_review(review, create=False), memo_id, author=author)
    click.echo(f"Memo {memo_id} deleted.", err=True)


commands = [codebook_group, apply_command, unapply_command, memo_group]
