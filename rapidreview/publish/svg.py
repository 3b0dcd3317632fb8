"""Charts as SVG strings drawn on the server: no JavaScript, no CDN, and every piece of
text from the data escaped, so a theme label such as `<script>` is shown, never run.

    svg.bar_chart([{"label": "Parking", "value": 45, "text": "45", "href": "/-/dashboard/theme/3"}],
                  title="Quotes per theme")
    svg.line_chart(["2025-01", "2025-02"], [{"label": "All themes", "values": [120, None],
                                            "texts": ["120", "fewer than 8"]}], title="By month")

A value of None is a suppressed count: the bar is left out (its text says why) and a
line breaks there, with a hollow marker, rather than being drawn as zero.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

PALETTE = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#28a197"]  # GOV.UK colours: distinct, AA on white
FONT = 13


def esc(value) -> str:
    """Text or an attribute value, escaped for XML (quotes too)."""
    return escape(str(value), quote=True)


def safe_href(url: str | None) -> str | None:
    """The URL if it is a relative path or http(s); None for javascript:, data: and the rest."""
    if not url:
        return None
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return url
    if not scheme and (url.startswith("/") or url.startswith("?")) and not url.startswith("//"):
        return url
    return None


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def bar_chart(rows: list[dict], *, title: str, width: int = 760, label_chars: int = 42) -> str:
    """Horizontal bars, one per row: {"label", "value" (int or None), "text", "href"?}."""
    bar_h, gap, label_w, text_w = 20, 6, 300, 150
    plot_w = width - label_w - text_w
    top = max([r["value"] or 0 for r in rows] + [1])
    height = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="rr-chart rr-bars" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="{esc(title)}">', f"<title>{esc(title)}</title>"]
    for i, r in enumerate(rows):
        y = gap + i * (bar_h + gap)
        label, text = str(r["label"]), str(r.get("text", r["value"]))
        w = max(1, round(plot_w * r["value"] / top)) if r["value"] else 0
        style = ' font-style="italic"' if r["value"] is None else ""
        row = [f"<title>{esc(label)}: {esc(text)}</title>",
               f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end" font-size="{FONT}">'
               f"{esc(_shorten(label, label_chars))}</text>",
               f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{PALETTE[0]}"/>',
               f'<text x="{label_w + w + 6}" y="{y + bar_h - 5}" font-size="{FONT}"{style}>{esc(text)}</text>']
        href = safe_href(r.get("href"))
        if href:
            parts.append(f'<a href="{esc(href)}">{"".join(row)}</a>')
        else:
            parts.append(f'<g>{"".join(row)}</g>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(months: list[str], series: list[dict], *, title: str, width: int = 760, height: int = 280) -> str:
    """Lines over months: series [{"label", "values": [int or None per month], "texts"?}]."""
    left, right, top_m, bottom = 50, 20, 16, 40
    legend_h = 20 * len(series)
    plot_w, plot_h = width - left - right, height - top_m - bottom
    top = max([v for s in series for v in s["values"] if v is not None] + [1])
    step = plot_w / max(len(months) - 1, 1)

    def xy(i, v):
        return round(left + i * step, 1), round(top_m + plot_h - plot_h * v / top, 1)

    total_h = height + legend_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="rr-chart rr-lines" viewBox="0 0 {width} {total_h}" '
             f'width="{width}" height="{total_h}" role="img" aria-label="{esc(title)}">', f"<title>{esc(title)}</title>",
             f'<line x1="{left}" y1="{top_m + plot_h}" x2="{width - right}" y2="{top_m + plot_h}" stroke="#505a5f"/>',
             f'<line x1="{left}" y1="{top_m}" x2="{left}" y2="{top_m + plot_h}" stroke="#505a5f"/>',
             f'<text x="{left - 6}" y="{top_m + 4}" text-anchor="end" font-size="{FONT - 2}">{esc(top)}</text>',
             f'<text x="{left - 6}" y="{top_m + plot_h}" text-anchor="end" font-size="{FONT - 2}">0</text>']
    every = max(1, len(months) // 12)
    for i, m in enumerate(months):
        if i % every == 0:
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x}" y="{top_m + plot_h + 16}" text-anchor="middle" font-size="{FONT - 2}">'
                         f"{esc(m)}</text>")
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        texts = s.get("texts") or [("suppressed" if v is None else str(v)) for v in s["values"]]
        runs, current = [], []
        for i, v in enumerate(s["values"]):
            if v is None:
                runs, current = runs + ([current] if current else []), []
            else:
                current.append(xy(i, v))
        runs += [current] if current else []
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x},{y}" for x, y in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(s["values"]):
            x, y = xy(i, v or 0)
            fill = "#fff" if v is None else colour
            parts.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{fill}" stroke="{colour}">'
                         f"<title>{esc(s['label'])}, {esc(months[i])}: {esc(texts[i])}</title></circle>")
        ly = height + 20 * k + 4
        parts.append(f'<rect x="{left}" y="{ly}" width="14" height="4" fill="{colour}"/>'
                     f'<text x="{left + 20}" y="{ly + 6}" font-size="{FONT - 1}">{esc(_shorten(s["label"], 80))}</text>')
    parts.append("</svg>")
    return "".join(parts)
