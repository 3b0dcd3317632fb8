"""`rapidreview report`: the rapid-review report as DOCX, HTML or Markdown."""

from __future__ import annotations

import click

from ..report import load_config, make_report, write_templates
from .common import echo_json, json_option, open_existing, silent_option


@click.command("report")
@click.argument("review", type=click.Path(dir_okay=False), metavar="REVIEW_DB", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write the report: .docx, .html or .md.")
@click.option("--format", "fmt", type=click.Choice(["docx", "html", "md"]),
              help="Format, when the file name does not say it.")
@click.option("--title", help="Report title (default: from --config, else 'Rapid review').")
@click.option("--compare", nargs=2, metavar="WAVE_A WAVE_B",
              help="Add 'What changed' between two waves (labels given with `import --wave`).")
@click.option("--compare-by", type=click.Choice(["code", "theme"]), help="Compare waves by code (default) or theme.")
@click.option("--attr", "attributes", multiple=True, metavar="NAME",
              help="Break 'Who we heard from' down by this attribute. Repeatable. Default: every attribute "
                   "with 2-12 values.")
@click.option("--quotes", "quotes_per_theme", type=int, help="Quotes per theme (default 3).")
@click.option("--min-group", type=int, help="Withhold quotes from groups (by --attr) of fewer people than this.")
@click.option("--run", "run", type=int, help="Theme run to report (default: the latest).")
@click.option("--template", type=click.Path(dir_okay=False, exists=True),
              help="Your own Jinja2 template for .html or .md (start from --write-template).")
@click.option("--reference-docx", type=click.Path(dir_okay=False, exists=True),
              help="A Word document whose styles (fonts, headings, page setup) the .docx report uses.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Report settings in YAML: sections and their order, headings, attributes, quotes per theme.")
@click.option("--write-template", "template_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Copy the default templates and report.yaml into DIR for editing, and stop.")
@silent_option
@json_option
def report_command(review, output, fmt, title, compare, compare_by, attributes, quotes_per_theme, min_group, run,
                   template, reference_docx, config_path, template_dir, silent, as_json):
    """Write a rapid-review report of REVIEW_DB: how it was done (sources, dates, codebook
    version, coding and agreement), who we heard from, each theme and code group with
    counts, sentiment and quotes, recommendations from the evidence ledger, and the
    codebook. Charts in DOCX and HTML.

    Only redacted text from people who consented and did not withdraw, and counts
    under NHS disclosure control (1-7 shown as <8, others rounded to 5), as `publish`.
    Refused until `rapidreview redact` has read every answer.

    \b
    Examples:
        rapidreview report review.db -o report.docx --title "GP access, spring 2026"
        rapidreview report review.db -o report.html --compare 2025-Q1 2025-Q2
        rapidreview report review.db -o report.docx --reference-docx our-style.docx --config report.yaml
        rapidreview report --write-template my-report/      # then edit my-report/report.html.j2
        rapidreview report review.db -o report.html --template my-report/report.html.j2
    """
    if template_dir:
        written = write_templates(template_dir)
        if as_json:
            return echo_json({"written": [str(p) for p in written]})
        return click.echo("Wrote " + ", ".join(str(p) for p in written) + ". Edit them, then use --template and "
                          "--config.", err=True)
    if not review or not output:
        raise click.UsageError("give REVIEW_DB and -o FILE (or --write-template DIR).")
    config = load_config(config_path, title=title, compare=list(compare) if compare else None, compare_by=compare_by,
                         attributes=list(attributes) or None, quotes_per_theme=quotes_per_theme,
                         min_group=min_group, run=run)
    db = open_existing(review)
    say = (lambda step: click.echo(f"  {step}...", err=True)) if not (silent or as_json) else None
    result = make_report(db, output, config, fmt=fmt, template=template, reference_docx=reference_docx, on_step=say)
    if as_json:
        echo_json({"path": result.path, "format": result.format, "sections": result.sections,
                   "themes": result.themes, "charts": result.charts, "recommendations": result.recommendations,
                   "seconds": round(result.seconds, 3)})
    elif not silent:
        click.echo(result.message(), err=True)


commands = [report_command]
