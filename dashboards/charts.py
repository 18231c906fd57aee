"""Small server-rendered SVG charts for the dashboards: no JavaScript, readable without colour
(every bar carries its number) and described for screen readers."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#007d7e"
TEXT = "currentColor"


def _shorten(label: str, size: int) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def histogram(bars: list[tuple[str, int]], *, title: str, width: int = 280, height: int = 150) -> SafeString:
    """Vertical bars, one per bin, the count above each bar and the bin's label below."""
    top = max((value for _, value in bars), default=0) or 1
    slot = width / max(len(bars), 1)
    plot = height - 36
    parts = []
    for index, (label, value) in enumerate(bars):
        bar = round(plot * value / top, 1)
        x = round(index * slot + slot * 0.15, 1)
        y = round(16 + plot - bar, 1)
        middle = round(index * slot + slot / 2, 1)
        parts.append(
            f'<rect x="{x}" y="{y}" width="{round(slot * 0.7, 1)}" height="{bar}" fill="{BAR}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{middle}" y="{round(y - 3, 1)}" text-anchor="middle" font-size="11" fill="{TEXT}">{value}</text>'
            f'<text x="{middle}" y="{height - 6}" text-anchor="middle" font-size="10" fill="{TEXT}">'
            f"{escape(label)}</text>"
        )
    parts.append(f'<line x1="0" y1="{16 + plot}" x2="{width}" y2="{16 + plot}" stroke="{TEXT}" stroke-opacity="0.4"/>')
    summary = "; ".join(f"{label}: {value}" for label, value in bars)
    return mark_safe(
        f'<svg class="dashboard-chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}. {escape(summary)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def funnel(rows: list[tuple[str, int, int]], *, title: str, total: int, width: int = 560) -> SafeString:
    """Horizontal bars, one per step: the label on the left, the count and share of `total` on the right."""
    row_height, label_width, number_width = 24, 200, 90
    plot = width - label_width - number_width
    height = row_height * max(len(rows), 1) + 4
    parts = []
    for index, (label, value, percent) in enumerate(rows):
        y = index * row_height + 4
        bar = round(plot * value / total, 1) if total else 0
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12" fill="{TEXT}">{escape(_shorten(label, 30))}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{plot}" height="16" fill="{BAR}" fill-opacity="0.12"/>'
            f'<rect x="{label_width}" y="{y + 3}" width="{bar}" height="16" fill="{BAR}">'
            f"<title>{escape(label)}: {value} ({percent} %)</title></rect>"
            f'<text x="{label_width + plot + 6}" y="{y + 15}" font-size="12" fill="{TEXT}">{value} ({percent} %)</text>'
        )
    summary = "; ".join(f"{label}: {value}" for label, value, _ in rows)
    return mark_safe(
        f'<svg class="dashboard-chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}. {escape(summary)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
