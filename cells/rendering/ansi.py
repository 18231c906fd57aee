"""ANSI colours (as in tracebacks) to HTML spans with class names the stylesheet colours."""

import html
import re

ANSI_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
# xterm's defaults for the 16 basic colours, to reduce 256-colour and true-colour codes.
_PALETTE = (
    *((0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205)),
    *((229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255)),
    *((255, 0, 255), (0, 255, 255), (255, 255, 255)),
)
_ESCAPES = re.compile(
    r"\x1b\[([0-?]*)([ -/]*)([@-~])"  # CSI (SGR when the final byte is "m")
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC (titles, hyperlinks)
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # other escapes, and a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # other control characters (tab and newline stay)
)


def _colour_name(index: int) -> str:
    return ANSI_COLOURS[index] if index < 8 else f"bright-{ANSI_COLOURS[index - 8]}"


def _nearest(rgb: tuple[int, int, int]) -> int:
    return min(range(16), key=lambda i: sum((a - b) ** 2 for a, b in zip(rgb, _PALETTE[i], strict=True)))


def _xterm_256(n: int) -> int:
    if n < 16:
        return n
    if n < 232:
        levels = (0, 95, 135, 175, 215, 255)
        n -= 16
        return _nearest((levels[n // 36], levels[n // 6 % 6], levels[n % 6]))
    grey = 8 + 10 * (n - 232)
    return _nearest((grey, grey, grey))


def _extended_colour(codes: list[int], i: int) -> tuple[int | None, int]:
    """The 16-colour index of a 38/48 sequence starting at codes[i], and the next position."""
    if i + 1 < len(codes) and codes[i + 1] == 5 and i + 2 < len(codes):
        return (_xterm_256(codes[i + 2]) if 0 <= codes[i + 2] <= 255 else None), i + 3
    if i + 1 < len(codes) and codes[i + 1] == 2 and i + 4 < len(codes):
        rgb = tuple(min(max(c, 0), 255) for c in codes[i + 2 : i + 5])
        return _nearest(rgb), i + 5  # type: ignore[arg-type]
    return None, len(codes)


class _Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg: int | None = None
        self.bg: int | None = None
        self.bold = self.italic = self.underline = False

    def apply(self, params: str):
        codes = [int(c) if c.isdigit() else 0 for c in re.split(r"[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            i += 1
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 3:
                self.italic = True
            elif code == 4:
                self.underline = True
            elif code == 22:
                self.bold = False
            elif code == 23:
                self.italic = False
            elif code == 24:
                self.underline = False
            elif 30 <= code <= 37:
                self.fg = code - 30
            elif 90 <= code <= 97:
                self.fg = code - 90 + 8
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = code - 40
            elif 100 <= code <= 107:
                self.bg = code - 100 + 8
            elif code == 49:
                self.bg = None
            elif code in (38, 48):
                colour, i = _extended_colour(codes, i - 1)
                if colour is not None:
                    if code == 38:
                        self.fg = colour
                    else:
                        self.bg = colour

    def classes(self) -> str:
        names = []
        if self.fg is not None:
            names.append(f"ansi-{_colour_name(self.fg)}")
        if self.bg is not None:
            names.append(f"ansi-bg-{_colour_name(self.bg)}")
        names += [name for name, on in (("ansi-bold", self.bold), ("ansi-italic", self.italic),
                                        ("ansi-underline", self.underline)) if on]  # fmt: skip
        return " ".join(names)


def ansi_to_html(text: str) -> str:
    """HTML-escaped `text` with SGR colours as `<span class="ansi-red ansi-bold">`; other escapes removed.

    Classes: ``ansi-<colour>`` / ``ansi-bright-<colour>`` (foreground), ``ansi-bg-<colour>``,
    ``ansi-bold``, ``ansi-italic``, ``ansi-underline``; colours are black red green yellow blue
    magenta cyan white. 256-colour and RGB codes are reduced to the nearest of the 16.
    """
    text = text.replace("\r\n", "\n")
    style = _Style()
    segments: list[tuple[str, str]] = []  # (classes, raw text)

    def add(chunk: str):
        if not chunk:
            return
        classes = style.classes()
        if segments and segments[-1][0] == classes:
            segments[-1] = (classes, segments[-1][1] + chunk)
        else:
            segments.append((classes, chunk))

    position = 0
    for match in _ESCAPES.finditer(text):
        add(text[position : match.start()])
        position = match.end()
        if match.group(3) == "m" and not match.group(2):
            style.apply(match.group(1))
    add(text[position:])
    return "".join(
        f'<span class="{classes}">{html.escape(chunk)}</span>' if classes else html.escape(chunk)
        for classes, chunk in segments
    )
