"""Figures for the demo courses, drawn when they are needed.

The demo figures are generated rather than stored so that the repository carries no
binary images and the physics behind every plot can be checked: each curve comes
from the small Parratt calculation in this module, and anyone can read it, change a
layer and rerun it. Only the standard library and Pillow are used, and the output is
deterministic (the same PNG bytes on every call).

Units throughout: Q in Å^-1, thickness and roughness in Å, scattering length
density (SLD) in 10^-6 Å^-2.
"""

from __future__ import annotations

import cmath
import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

Layer = tuple[float, float, float]
"""(thickness Å, SLD 10^-6 Å^-2, roughness Å); roughness is that of the interface
above the layer (towards the fronting medium). The first layer is the fronting
medium and the last the backing medium; their thicknesses are ignored."""


# --- Physics -------------------------------------------------------------------


def reflectivity(q_values: Sequence[float], layers: Sequence[Layer]) -> list[float]:
    """Specular reflectivity |r|^2 by the Parratt recursion with Névot–Croce roughness."""
    if len(layers) < 2:
        raise ValueError("Need at least a fronting and a backing medium.")
    rho_front = layers[0][1]
    last = len(layers) - 1
    result = []
    for q in q_values:
        kz0_squared = (q / 2) ** 2
        # z-component of the wavevector in each layer (imaginary when evanescent).
        kz = [cmath.sqrt(kz0_squared - 4 * math.pi * (sld - rho_front) * 1e-6) for _, sld, _ in layers]
        x = 0j  # nothing comes back up out of the backing medium
        for j in range(last - 1, -1, -1):
            k_top, k_bottom = kz[j], kz[j + 1]
            thickness, _, sigma = layers[j + 1]
            r = (k_top - k_bottom) / (k_top + k_bottom)
            r *= cmath.exp(-2 * k_top * k_bottom * sigma**2)
            phase = cmath.exp(2j * k_bottom * thickness) if j + 1 < last else 1
            x = (r + x * phase) / (1 + r * x * phase)
        result.append(abs(x) ** 2)
    return result


def smeared_reflectivity(
    q_values: Sequence[float], layers: Sequence[Layer], dq_over_q: float, points: int = 21
) -> list[float]:
    """Reflectivity convolved with a Gaussian resolution of constant dQ/Q (FWHM)."""
    sigma_per_q = dq_over_q / (2 * math.sqrt(2 * math.log(2)))
    offsets = [-3.5 + 7 * i / (points - 1) for i in range(points)]  # in units of sigma
    weights = [math.exp(-0.5 * t * t) for t in offsets]
    total = sum(weights)
    weights = [w / total for w in weights]
    q_all = [q * (1 + t * sigma_per_q) for q in q_values for t in offsets]
    r_all = reflectivity(q_all, layers)
    return [
        sum(w * r for w, r in zip(weights, r_all[i * points : (i + 1) * points], strict=True))
        for i in range(len(q_values))
    ]


def critical_q(sld_front: float, sld_back: float) -> float:
    """Q_c = sqrt(16 π Δρ) for total reflection; 0 if the backing SLD is not higher."""
    delta = (sld_back - sld_front) * 1e-6
    return math.sqrt(16 * math.pi * delta) if delta > 0 else 0.0


def q_grid(q_min: float, q_max: float, n: int = 400) -> list[float]:
    return [q_min + (q_max - q_min) * i / (n - 1) for i in range(n)]


def log10(values: Sequence[float]) -> list[float]:
    return [math.log10(max(v, 1e-300)) for v in values]


# --- Plotting ------------------------------------------------------------------

WIDTH, HEIGHT = 800, 500
LEFT, RIGHT, TOP, BOTTOM = 90, 25, 20, 70
BLACK = (0, 0, 0)
GRID = (228, 228, 228)
# Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
BLUE = (0, 114, 178)
VERMILLION = (213, 94, 0)
GREEN = (0, 158, 115)
GREY = (110, 110, 110)

FONT = ImageFont.load_default(size=16)
SMALL_FONT = ImageFont.load_default(size=11)


@dataclass(frozen=True)
class Series:
    label: str  # markup: ^{...} superscript, _{...} subscript
    q: list[float]
    log_r: list[float]
    colour: tuple[int, int, int]
    dash: tuple[int, int] | None = None  # (on, off) in pixels; None is solid


def _pieces(markup: str):
    """Split markup into (text, font, baseline shift) pieces."""
    pieces = []
    i = 0
    plain = ""
    while i < len(markup):
        if markup[i] in "^_" and markup[i + 1 : i + 2] == "{":
            end = markup.index("}", i)
            if plain:
                pieces.append((plain, FONT, 0))
                plain = ""
            shift = -7 if markup[i] == "^" else 4
            pieces.append((markup[i + 2 : end], SMALL_FONT, shift))
            i = end + 1
        else:
            plain += markup[i]
            i += 1
    if plain:
        pieces.append((plain, FONT, 0))
    return pieces


def _piece_width(text: str, font) -> float:
    # The bundled font has no "Å": it is drawn as "A" with a ring, same advance.
    # Raised and lowered pieces get 1 px of air on each side.
    return font.getlength(text.replace("Å", "A")) + (2 if font is SMALL_FONT else 0)


def _text_width(markup: str) -> float:
    return sum(_piece_width(text, font) for text, font, _ in _pieces(markup))


def _draw_text(draw: ImageDraw.ImageDraw, x: float, baseline: float, markup: str, fill=BLACK):
    """Draw markup with its left end at x and its baseline at `baseline`."""
    for text, font, shift in _pieces(markup):
        end = x + _piece_width(text, font)
        if font is SMALL_FONT:
            x += 1
        for n, part in enumerate(text.split("Å")):
            if n:  # an Å between the parts
                draw.text((x, baseline + shift), "A", font=font, fill=fill, anchor="ls")
                x0, y0, x1, _ = font.getbbox("A", anchor="ls")
                ring = 2 if font is FONT else 1.5
                cx, cy = x + (x0 + x1) / 2, baseline + shift + y0 - ring - 1
                draw.ellipse((cx - ring, cy - ring, cx + ring, cy + ring), outline=fill)
                x += font.getlength("A")
            if part:
                draw.text((x, baseline + shift), part, font=font, fill=fill, anchor="ls")
                x += font.getlength(part)
        x = end


def _polyline(draw: ImageDraw.ImageDraw, points, colour, width: int, dash):
    if dash is None:
        draw.line(points, fill=colour, width=width, joint="curve")
        return
    on, off = dash
    position = 0.0  # distance along the current on/off period
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        length = math.hypot(xb - xa, yb - ya)
        done = 0.0
        while done < length:
            drawing = position < on
            step = min(length - done, (on - position) if drawing else (on + off - position))
            if drawing:
                t0, t1 = done / length, (done + step) / length
                draw.line(
                    [
                        (xa + (xb - xa) * t0, ya + (yb - ya) * t0),
                        (xa + (xb - xa) * t1, ya + (yb - ya) * t1),
                    ],
                    fill=colour,
                    width=width,
                )
            done += step
            position = (position + step) % (on + off)


Annotate = Callable[[ImageDraw.ImageDraw, Callable[[float], float], Callable[[float], float]], None]


def _plot(
    series: Sequence[Series],
    x_range: tuple[float, float],
    x_ticks: Sequence[float],
    y_range: tuple[float, float],
    annotate: Annotate | None = None,
) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = TOP, HEIGHT - BOTTOM

    def px(q: float) -> float:
        return x0 + (q - x_range[0]) / (x_range[1] - x_range[0]) * (x1 - x0)

    def py(log_r: float) -> float:
        return y1 - (log_r - y_range[0]) / (y_range[1] - y_range[0]) * (y1 - y0)

    y_ticks = range(math.ceil(y_range[0]), math.floor(y_range[1]) + 1)
    for tick in x_ticks:
        draw.line([(px(tick), y0), (px(tick), y1)], fill=GRID)
        label = f"{tick:g}"
        draw.text((px(tick), y1 + 8), label, font=FONT, fill=BLACK, anchor="mt")
        draw.line([(px(tick), y1), (px(tick), y1 + 5)], fill=BLACK, width=2)
    for tick in y_ticks:
        draw.line([(x0, py(tick)), (x1, py(tick))], fill=GRID)
        draw.text((x0 - 9, py(tick)), str(tick), font=FONT, fill=BLACK, anchor="rm")
        draw.line([(x0 - 5, py(tick)), (x0, py(tick))], fill=BLACK, width=2)

    # Curves go on their own layer the size of the plot area, which clips them.
    layer = Image.new("RGBA", (x1 - x0, y1 - y0), (255, 255, 255, 0))
    layer_draw = ImageDraw.Draw(layer)
    for s in series:
        points = [(px(q) - x0, py(r) - y0) for q, r in zip(s.q, s.log_r, strict=True)]
        _polyline(layer_draw, points, s.colour, 3, s.dash)
    image.paste(layer, (x0, y0), layer)
    draw.rectangle((x0, y0, x1, y1), outline=BLACK, width=2)

    x_label = "Q (Å^{-1})"
    _draw_text(draw, (x0 + x1) / 2 - _text_width(x_label) / 2, HEIGHT - 16, x_label)
    y_label = "log_{10} R"
    label_image = Image.new("RGB", (int(_text_width(y_label)) + 6, 28), "white")
    _draw_text(ImageDraw.Draw(label_image), 3, 18, y_label)
    label_image = label_image.rotate(90, expand=True)
    image.paste(label_image, (14, int((y0 + y1) / 2 - label_image.height / 2)))

    if annotate is not None:
        annotate(draw, px, py)

    # Legend, top right inside the plot area.
    row = 26
    box_w = max(_text_width(s.label) for s in series) + 70
    box_h = row * len(series) + 12
    bx1, by0 = x1 - 12, y0 + 12
    bx0 = bx1 - box_w
    draw.rectangle((bx0, by0, bx1, by0 + box_h), fill="white", outline=(150, 150, 150))
    for i, s in enumerate(series):
        yc = by0 + 6 + row * i + row / 2
        _polyline(draw, [(bx0 + 10, yc), (bx0 + 50, yc)], s.colour, 3, s.dash)
        _draw_text(draw, bx0 + 60, yc + 6, s.label)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- The figures ---------------------------------------------------------------

SI, SIO2, D2O, H2O = 2.07, 3.47, 6.36, -0.56
FILM = [(0, 0.0, 0), (200, 6.0, 3), (0, SI, 3)]  # air | 200 Å film | Si


def fresnel_si_d2o() -> bytes:
    """Fresnel reflectivity of ideal (sharp) Si | D2O and Si | H2O interfaces."""
    q = q_grid(0.002, 0.2)
    qc = critical_q(SI, D2O)  # ≈ 0.0147 Å^-1
    delta = (D2O - SI) * 1e-6
    q_tail = [v for v in q if v > 0.6 * qc]
    asymptote = [16 * math.pi**2 * delta**2 / v**4 for v in q_tail]

    def annotate(draw, px, py):
        x = px(qc)
        for y in range(int(py(0.5)), int(py(-7)), 8):
            draw.line([(x, y), (x, y + 4)], fill=GREY, width=2)
        _draw_text(draw, x + 8, py(-6.5), f"Q_{{c}} = {qc:.4f} Å^{{-1}}", fill=GREY)

    return _plot(
        [
            Series("Si | D_{2}O", q, log10(reflectivity(q, [(0, SI, 0), (0, D2O, 0)])), BLUE),
            Series("Si | H_{2}O", q, log10(reflectivity(q, [(0, SI, 0), (0, H2O, 0)])), VERMILLION),
            Series("Q^{-4} asymptote (Si | D_{2}O)", q_tail, log10(asymptote), GREY, (10, 7)),
        ],
        (0, 0.2),
        [0, 0.05, 0.1, 0.15, 0.2],
        (-7, 0.5),
        annotate,
    )


def single_film_fringes() -> bytes:
    """Kiessig fringes from a 200 Å film on silicon, measured from air."""
    q = q_grid(0.004, 0.25, 600)
    film = log10(reflectivity(q, FILM))
    bare = log10(reflectivity(q, [(0, 0.0, 0), (0, SI, 3)]))
    # Fringe minima, refined by a parabola through each sampled minimum and its
    # neighbours; the spacing is averaged over the minima between 0.09 and 0.25 Å^-1.
    minima = []
    for i in range(1, len(q) - 1):
        a, b, c = film[i - 1], film[i], film[i + 1]
        if b < a and b < c and q[i] > 0.09:
            step = q[i + 1] - q[i]
            minima.append(q[i] + step * (a - c) / (2 * (a - 2 * b + c)))
    spacing = (minima[-1] - minima[0]) / (len(minima) - 1)

    def annotate(draw, px, py):
        y = py(-3.2)
        xa, xb = px(minima[0]), px(minima[1])
        draw.line([(xa, y), (xb, y)], fill=BLACK, width=2)
        for x, sign in ((xa, 1), (xb, -1)):
            draw.polygon([(x, y), (x + 9 * sign, y - 5), (x + 9 * sign, y + 5)], fill=BLACK)
            draw.line([(x, y - 10), (x, y + 10)], fill=BLACK, width=1)
        _draw_text(draw, xa - 40, y - 30, f"fringe spacing {spacing:.4f} Å^{{-1}}")
        _draw_text(draw, xa - 40, y - 12, f"d ~ 6.283 / {spacing:.4f} = {2 * math.pi / spacing:.0f} Å")

    return _plot(
        [
            Series("air | 200 Å film | Si", q, film, BLUE),
            Series("air | Si (no film)", q, bare, GREY, (10, 7)),
        ],
        (0, 0.25),
        [0, 0.05, 0.1, 0.15, 0.2, 0.25],
        (-8, 0.5),
        annotate,
    )


def roughness_comparison() -> bytes:
    """The same 200 Å film with 3 Å and 10 Å roughness at both interfaces."""
    q = q_grid(0.004, 0.3, 600)
    smooth = [(d, sld, 3.0 if i else 0) for i, (d, sld, _) in enumerate(FILM)]
    rough = [(d, sld, 10.0 if i else 0) for i, (d, sld, _) in enumerate(FILM)]
    return _plot(
        [
            Series("roughness 3 Å", q, log10(reflectivity(q, smooth)), BLUE),
            Series("roughness 10 Å", q, log10(reflectivity(q, rough)), VERMILLION, (12, 6)),
        ],
        (0, 0.3),
        [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
        (-10, 0.5),
    )


def bilayer_layers(solvent_sld: float) -> list[Layer]:
    """Si | SiO2 | heads | tails | heads | water, with water in the oxide and heads.

    Hydrogenous DMPC: head groups about 1.88, chains about -0.37 (10^-6 Å^-2).
    A layer holding a volume fraction phi of water has SLD (1 - phi) rho + phi rho_water.
    """

    def hydrated(sld: float, phi: float) -> float:
        return (1 - phi) * sld + phi * solvent_sld

    return [
        (0, SI, 0),
        (15, hydrated(SIO2, 0.1), 3),
        (8, hydrated(1.88, 0.3), 3),
        (27, hydrated(-0.37, 0.0), 3),
        (8, hydrated(1.88, 0.3), 3),
        (0, solvent_sld, 3),
    ]


def bilayer_contrasts() -> bytes:
    """One bilayer model in D2O, silicon-matched water and H2O, 5 % dQ/Q smearing."""
    q = q_grid(0.008, 0.3, 300)
    contrasts = [
        ("D_{2}O (6.36)", D2O, BLUE, None),
        ("Si-matched water (2.07)", SI, VERMILLION, (12, 6)),
        ("H_{2}O (-0.56)", H2O, GREEN, (4, 5)),
    ]
    return _plot(
        [
            Series(label, q, log10(smeared_reflectivity(q, bilayer_layers(sld), 0.05)), colour, dash)
            for label, sld, colour, dash in contrasts
        ],
        (0, 0.3),
        [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
        (-8, 0.5),
    )


FIGURES: dict[str, Callable[[], bytes]] = {
    "fresnel-si-d2o": fresnel_si_d2o,
    "single-film-fringes": single_film_fringes,
    "roughness-comparison": roughness_comparison,
    "bilayer-contrasts": bilayer_contrasts,
}
