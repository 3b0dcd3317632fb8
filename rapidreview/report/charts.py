"""Charts for the report: matplotlib (Agg, no display), fixed fonts and sizes, and PNG
bytes that are the same on every run (no timestamps or software tags in the file).

Charts plot the counts as shown, never the true ones: a hidden count is an empty bar
labelled "<8" or "*". Each chart carries alt text saying what it shows.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SENTIMENT_COLOURS = {"positive": "#009E73", "negative": "#D55E00", "mixed or neutral": "#999999",
                     "neutral": "#999999", "mixed": "#E69F00"}
STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11, "axes.spines.top": False,
         "axes.spines.right": False, "svg.hashsalt": "rapidreview", "figure.dpi": 100}
DPI = 150
WIDTH = 6.5  # inches: an A4 page inside its margins
MAX_BARS = 20


def _number(shown: str) -> int:
    return int(shown) if shown.isdigit() else 0


def _short(label: str, n: int = 48) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def bar_chart(labels: list[str], shown: list[str], title: str, xlabel: str) -> bytes:
    """Horizontal bars, largest at the top; hidden counts as empty bars with their marker."""
    labels, shown = labels[:MAX_BARS], shown[:MAX_BARS]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH, 0.8 + 0.28 * max(len(labels), 1)))
        y = list(range(len(labels)))[::-1]
        values = [_number(s) for s in shown]
        ax.barh(y, values, color=PALETTE[0])
        top = max(values + [1])
        for yi, v, s in zip(y, values, shown):
            ax.text(v + top * 0.01, yi, s, va="center", fontsize=8)
        ax.set_yticks(y, [_short(lbl) for lbl in labels])
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        return _png(fig)


def stacked_chart(labels: list[str], series: dict[str, list[str]], title: str, xlabel: str) -> bytes:
    """One horizontal bar per label, split by series (sentiment); hidden parts are left out."""
    labels = labels[:MAX_BARS]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH, 1.2 + 0.28 * max(len(labels), 1)))
        y = list(range(len(labels)))[::-1]
        left = [0] * len(labels)
        for i, (name, shown) in enumerate(series.items()):
            values = [_number(s) for s in shown[:MAX_BARS]]
            colour = SENTIMENT_COLOURS.get(name.casefold(), PALETTE[i % len(PALETTE)])
            ax.barh(y, values, left=left, color=colour, label=name)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(y, [_short(lbl) for lbl in labels])
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        return _png(fig)


def paired_chart(labels: list[str], before: list[float], after: list[float], names: tuple[str, str],
                 title: str) -> bytes:
    """Share in each of two waves, side by side."""
    labels = labels[:MAX_BARS]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(WIDTH, 1.2 + 0.4 * max(len(labels), 1)))
        y = list(range(len(labels)))[::-1]
        ax.barh([v + 0.2 for v in y], before[:MAX_BARS], height=0.4, color=PALETTE[5], label=names[0])
        ax.barh([v - 0.2 for v in y], after[:MAX_BARS], height=0.4, color=PALETTE[0], label=names[1])
        ax.set_yticks(y, [_short(lbl) for lbl in labels])
        ax.set_xlabel("% of people in the wave")
        ax.set_title(title, loc="left")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        return _png(fig)


def draw_all(report) -> dict:
    """Every chart the report has data for, keyed by the section it belongs to."""
    from .content import Chart

    charts = {}
    if report.themes:
        labels = [f"{t.number}. {t.label}" for t in report.themes]
        shown = [t.count for t in report.themes]
        title = "Comments in each theme" + (f" (the {MAX_BARS} largest)" if len(labels) > MAX_BARS else "")
        charts["themes"] = Chart("themes", title, _alt(title, labels, shown),
                                 bar_chart(labels, shown, title, "comments"), WIDTH)
    if report.sentiment and len(report.sentiment.rows) > 1:
        body = report.sentiment.rows[:-1]
        columns = report.sentiment.columns[1:-1]
        series = {c: [row[i + 1] for row in body] for i, c in enumerate(columns)}
        charts["sentiment"] = Chart(
            "sentiment", "Sentiment in each theme",
            "Stacked bars of positive, negative and other comments per theme; hidden counts are left out. "
            + "; ".join(f"{row[0]}: " + ", ".join(f"{c} {v}" for c, v in zip(columns, row[1:-1])) for row in body),
            stacked_chart([row[0] for row in body], series, "Sentiment in each theme", "comments"), WIDTH)
    if report.code_groups:
        labels = [g.name for g in report.code_groups]
        shown = [g.count for g in report.code_groups]
        charts["codes"] = Chart("codes", "Comments in each code group", _alt("Comments in each code group", labels,
                                                                             shown),
                                bar_chart(labels, shown, "Comments in each code group", "comments"), WIDTH)
    for i, table in enumerate(report.participants):
        body = table.rows[:-1]
        labels, shown = [r[0] for r in body], [r[1] for r in body]
        charts[f"participants-{i}"] = Chart(f"participants-{i}", table.caption, _alt(table.caption, labels, shown),
                                            bar_chart(labels, shown, table.caption, "people"), WIDTH)
    if report.changes and report.changes.table.rows:
        charts["changes"] = _changes_chart(report.changes)
    return charts


def _changes_chart(changes):
    from .content import Chart

    rows = [r for r in changes.table.rows if r[2] and r[4]]
    rows.sort(key=lambda r: -abs(float(r[5] or 0)))
    rows = rows[:MAX_BARS]
    labels = [r[0] for r in rows]
    before = [float(r[2].rstrip("%")) for r in rows]
    after = [float(r[4].rstrip("%")) for r in rows]
    title = f"{changes.before} and {changes.after}: share of people"
    alt = f"Paired bars per {changes.by}, share of people in {changes.before} and {changes.after}: " + "; ".join(
        f"{lbl} {r[2]} then {r[4]}" for lbl, r in zip(labels, rows))
    return Chart("changes", title, alt, paired_chart(labels, before, after, (changes.before, changes.after), title),
                 WIDTH)


def _alt(title: str, labels: list[str], shown: list[str]) -> str:
    return f"{title}, horizontal bars: " + "; ".join(f"{lbl} {s}" for lbl, s in zip(labels[:MAX_BARS], shown))
