"""The demo course *X-ray beamline optics by ray tracing* (issue 21): three lessons of virtual experiments
with shadow4, each checked against the textbook formula, and a graded exercise per lesson.

Pure data, like the other course specs. The live cells run in the student's kernel, in order, in one
session per lesson; they use shadow4 directly and the kernel helpers `panlearn_shadow4` (a ready source →
slit → toroid → screen beamline) and `panlearn_optics` (the formulas). shadow4 works in metres and
radians, with y along the beam, x horizontal and z vertical. Every cell traces at most 50,000 rays
(docs/trainer.md, "Virtual experiments": a 50,000-ray toroid trace takes 1.6-1.8 s in a kernel).

The exercises' hidden tests trace rays themselves, so a number typed in from the lesson does not pass
them, and a grading job must be able to import shadow4 (a site whose virtualenv lives under /tmp
preloads it: docs/operator.md, PANLEARN_RUNNER_PRELOAD).
"""

LESSON_SLUGS = ("the-source", "slits", "focusing-with-a-toroidal-mirror")


def code_cell(code: str) -> tuple[str, dict]:
    return ("code_cell", {"code": code, "datasets": [], "setup_code": "", "read_only": False, "example_output": ""})


# A Gaussian source like the ToroidBeamline's default one (sizes in m, divergences in rad), made in a cell.
_SOURCE_FUNCTION = '''from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical


def gaussian_source(nrays=20_000, sigma_h=10e-6, sigma_v=5e-6, sigma_h_prime=20e-6, sigma_v_prime=10e-6, seed=1):
    """The rays of a Gaussian source at 10 keV: rms sizes in metres, rms divergences in radians."""
    source = SourceGeometrical(nrays=nrays, seed=seed)
    source.set_spatial_type_gaussian(sigma_h=sigma_h, sigma_v=sigma_v)
    source.set_angular_distribution_gaussian(sigdix=sigma_h_prime, sigdiz=sigma_v_prime)
    source.set_energy_distribution_singleline(10_000, unit="eV")
    return source.get_beam()
'''

# --- Lesson 1: the source ----------------------------------------------------------------------------

SOURCE_EXERCISE = {
    "title": "Beam size after a drift (optics course)",
    "lesson": "the-source",
    "datasets": (),
    "prompt": (
        "A Gaussian source of rms size $\\sigma_0$ and rms divergence $\\sigma'$, with no correlation between "
        "position and angle at the source, has after a drift of length $d$ the rms size\n\n"
        "$$\\sigma(d) = \\sqrt{\\sigma_0^2 + (\\sigma' d)^2}.$$\n\n"
        "Write `rms_size_at(sigma0, sigma_prime, d)` that returns $\\sigma(d)$ (metres and radians in, metres "
        "out), then set `sigma_h_at_1m` to the horizontal rms size, 1 m from the source, of the source with "
        "$\\sigma_0 = 10$ µm and $\\sigma' = 20$ µrad: so close to the source its own size still counts. "
        "The hidden tests trace rays from Gaussian sources to several distances and compare your function, "
        "and `sigma_h_at_1m`, with the traced sizes within 3 %."
    ),
    "starter_code": """import math


def rms_size_at(sigma0, sigma_prime, d):
    ...  # metres


sigma_h_at_1m = None  # metres
""",
    "solution_code": """import math


def rms_size_at(sigma0, sigma_prime, d):
    return math.hypot(sigma0, sigma_prime * d)


sigma_h_at_1m = rms_size_at(10e-6, 20e-6, 1.0)
print(f"{sigma_h_at_1m * 1e6:.2f} µm")
""",
    "tests": (
        {
            "name": "test_sizes_add_in_quadrature",
            "points": 1,
            "source": '''def test_sizes_add_in_quadrature():
    """σ₀ = 3 µm, σ′ = 4 µrad, d = 1 m: 5 µm (3, 4, 5)."""
    value = rms_size_at(3e-6, 4e-6, 1.0)
    assert value is not None, "rms_size_at returns nothing"
    assert abs(value - 5e-6) < 1e-12, f"{value} m, expected 5e-6 m"
''',
        },
        {
            "name": "test_against_a_trace",
            "points": 2,
            "hidden": True,
            "source": '''def test_against_a_trace():
    """20,000 rays from a Gaussian source, drifted 2 m and 10 m: the traced rms sizes within 3 %."""
    import numpy as np
    from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical
    source = SourceGeometrical(nrays=20_000, seed=4321)
    source.set_spatial_type_gaussian(sigma_h=10e-6, sigma_v=30e-6)
    source.set_angular_distribution_gaussian(sigdix=20e-6, sigdiz=5e-6)
    source.set_energy_distribution_singleline(10_000, unit="eV")
    beam = source.get_beam()
    for d in (2.0, 10.0):
        beam.retrace(d)  # every ray to the plane y = d (the source is at y = 0)
        for column, sigma0, sigma_prime in ((1, 10e-6, 20e-6), (3, 30e-6, 5e-6)):
            traced = float(np.std(beam.get_column(column)))
            value = rms_size_at(sigma0, sigma_prime, d)
            assert abs(value / traced - 1) < 0.03, f"d = {d} m: {value:.3g} m, traced {traced:.3g} m"
''',
        },
        {
            "name": "test_sigma_h_at_1m",
            "points": 1,
            "hidden": True,
            "source": '''def test_sigma_h_at_1m():
    """20,000 rays from a source of 10 µm and 20 µrad, 1 m on: 22.4 µm, of which the divergence alone gives 20."""
    import numpy as np
    from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical
    assert sigma_h_at_1m is not None, "set sigma_h_at_1m"
    source = SourceGeometrical(nrays=20_000, seed=97531)
    source.set_spatial_type_gaussian(sigma_h=10e-6, sigma_v=5e-6)
    source.set_angular_distribution_gaussian(sigdix=20e-6, sigdiz=10e-6)
    source.set_energy_distribution_singleline(10_000, unit="eV")
    beam = source.get_beam()
    beam.retrace(1.0)
    traced = float(np.std(beam.get_column(1)))
    assert abs(sigma_h_at_1m / traced - 1) < 0.03, (
        f"{sigma_h_at_1m:.3g} m, traced {traced:.3g} m: in metres, and with the source's own size?")
''',
        },
    ),
    "policy": {"max_attempts": 5, "decay_per_attempt": "0.1", "min_factor": "0.5", "deadline_days": 60},
}

LESSON_SOURCE = {
    "title": "The source",
    "slug": "the-source",
    "summary": "A Gaussian source as a cloud of rays: size, divergence, phase space and emittance.",
    "body": [
        (
            "text",
            "<p>A ray tracer describes the beam as many independent rays, each with a position and a direction. "
            "shadow4, the ray tracer of the OASYS suite used here, works in <b>metres and radians</b>, with "
            "<i>y</i> along the beam, <i>x</i> horizontal and <i>z</i> vertical. A ray's angle to the axis, "
            "x′ = dx/dy, is (to better than a part in 10<sup>7</sup> at these angles) the direction cosine shadow4 "
            "stores in column 4 (column 6 for z′).</p>"
            "<p>An undulator source is well described, for a first design, by a Gaussian in each of x, x′, z "
            "and z′: an rms size σ (micrometres) and an rms divergence σ′ (microradians). A bending magnet "
            "is not: horizontally it emits a fan, as wide as the beamline accepts, and its vertical "
            "divergence, set by the photon energy, is not a Gaussian. Plotted in <em>phase space</em>, x "
            "against x′, the rays of a Gaussian source at its waist fill an upright ellipse; the rms (1σ) "
            "one, of semi-axes σ and σ′, has the area π σ σ′. That area divided by π is the beam's "
            "<b>emittance</b>:</p>",
        ),
        (
            "maths",
            {
                "latex": r"\varepsilon = \sqrt{\langle x^2\rangle \langle x'^2\rangle - \langle x x'\rangle^2}"
                r" \;=\; \sigma\,\sigma' \text{ at the waist}",
                "caption": "rms emittance, in metre-radians: a few nm·rad horizontally for third-generation storage "
                "rings, tens to a few hundred pm·rad for fourth-generation ones (this source's 10 µm × 20 µrad "
                "is 200 pm·rad).",
            },
        ),
        code_cell(
            _SOURCE_FUNCTION
            + """

import matplotlib.pyplot as plt
import numpy as np

beam = gaussian_source(nrays=20_000)
x, xp = beam.get_column(1), beam.get_column(4)  # metres, radians
emittance = np.sqrt(np.mean(x**2) * np.mean(xp**2) - np.mean(x * xp) ** 2)
print(f"σx = {np.std(x) * 1e6:.2f} µm, σx′ = {np.std(xp) * 1e6:.2f} µrad")
print(f"emittance {emittance * 1e12:.0f} pm·rad, σ·σ′ = {np.std(x) * np.std(xp) * 1e12:.0f} pm·rad")

plt.figure(figsize=(5, 4))
plt.plot(x * 1e6, xp * 1e6, ",", alpha=0.5)
plt.xlabel("x (µm)")
plt.ylabel("x′ (µrad)")
plt.title("Horizontal phase space at the source")
plt.show()
"""
        ),
        (
            "text",
            "<p>In free space a ray keeps its angle and moves sideways by x′ per metre: after a drift of length "
            "d, x → x + d·x′. The ellipse shears, its area (the emittance) stays the same (Liouville's "
            "theorem), and because x and x′ are independent at the waist their variances add:</p>",
        ),
        (
            "maths",
            {
                "latex": r"\sigma(d)^2 = \sigma_0^2 + (\sigma' d)^2",
                "caption": "rms size at a distance d from the waist; far away the divergence dominates.",
            },
        ),
        code_cell(
            """# Uses gaussian_source's beam, np and plt from the cell above: run the cells in order.
import panlearn_optics as optics

fig, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=True)
drifted = beam.duplicate()
for ax, d in zip(axes, (0.0, 0.5, 5.0)):
    drifted.retrace(d)  # every ray to the plane y = d (the source is at y = 0)
    x, xp = drifted.get_column(1), drifted.get_column(4)
    emittance = np.sqrt(np.mean(x**2) * np.mean(xp**2) - np.mean(x * xp) ** 2)
    ax.plot(x * 1e6, xp * 1e6, ",", alpha=0.5)
    ax.set_title(f"d = {d} m: σ = {np.std(x) * 1e6:.1f} µm, ε = {emittance * 1e12:.0f} pm·rad", fontsize=9)
    ax.set_xlabel("x (µm)")
    print(f"d = {d:4.1f} m  traced σ = {np.std(x) * 1e6:6.2f} µm, "
          f"formula {optics.beam_size(d, 10e-6, 20e-6) * 1e6:6.2f} µm")
axes[0].set_ylabel("x′ (µrad)")
plt.tight_layout()
plt.show()
"""
        ),
        (
            "callout",
            {
                "kind": "tip",
                "title": "Counting noise",
                "body": "<p>A size estimated from N rays is uncertain by about 1/√(2N) of itself: 0.5 % for "
                "20,000 rays. Change <code>nrays</code> and the <code>seed</code> and watch the last digit.</p>",
            },
        ),
        ("exercise", {"exercise": SOURCE_EXERCISE["title"]}),
    ],
}

# --- Lesson 2: slits ----------------------------------------------------------------------------------

SLIT_EXERCISE = {
    "title": "Transmission of a slit (optics course)",
    "lesson": "slits",
    "datasets": (),
    "prompt": (
        "A rectangular slit of half-widths $a_h$ (horizontal) and $a_v$ (vertical) stands $d$ metres from the "
        "Gaussian source of this lesson: $\\sigma_h = 10$ µm, $\\sigma_v = 5$ µm, $\\sigma'_h = 20$ µrad, "
        "$\\sigma'_v = 10$ µrad. Write `slit_transmission(half_h, half_v, d)` that returns the fraction of the "
        "source's rays that pass the slit,\n\n"
        "$$T = \\operatorname{erf}\\left(\\frac{a_h}{\\sqrt{2}\\,\\sigma_h(d)}\\right)"
        "\\operatorname{erf}\\left(\\frac{a_v}{\\sqrt{2}\\,\\sigma_v(d)}\\right),$$\n\n"
        "with the beam sizes $\\sigma(d)$ at the slit, and set `fraction` for a slit of ±20 µm × ±10 µm 1 m "
        "from the source, where the source's own size still counts. The hidden tests compare your function "
        "with rays traced by shadow4 through slits from 0.5 m to 8 m from the source, and `fraction` with "
        "the formula, within 2 %."
    ),
    "starter_code": """import math


def slit_transmission(half_h, half_v, d):
    ...


fraction = None
""",
    "solution_code": """import math

SIGMA_H, SIGMA_V, SIGMA_H_PRIME, SIGMA_V_PRIME = 10e-6, 5e-6, 20e-6, 10e-6  # m, rad


def slit_transmission(half_h, half_v, d):
    sigma_h = math.hypot(SIGMA_H, SIGMA_H_PRIME * d)
    sigma_v = math.hypot(SIGMA_V, SIGMA_V_PRIME * d)
    return math.erf(half_h / (math.sqrt(2) * sigma_h)) * math.erf(half_v / (math.sqrt(2) * sigma_v))


fraction = slit_transmission(20e-6, 10e-6, 1.0)
print(f"{100 * fraction:.1f} % of the rays pass")
""",
    "tests": (
        {
            "name": "test_a_wide_slit_passes_everything",
            "points": 1,
            "source": """def test_a_wide_slit_passes_everything():
    value = slit_transmission(0.01, 0.01, 5.0)
    assert value is not None, "slit_transmission returns nothing"
    assert abs(value - 1) < 1e-6, f"a 2 cm slit passes {value} of a beam of 0.1 mm"
""",
        },
        {
            "name": "test_against_traced_slits",
            "points": 3,
            "hidden": True,
            "source": '''def test_against_traced_slits():
    """50,000 rays through four slits, 0.5 m to 8 m from the source: within 2 % of the traced fraction.
    At 0.5 m the source's size counts: σ_h is 14.1 µm, not the divergence's 10 µm (T 0.843, not 0.954)."""
    import math
    from shadow4.beamline.optical_elements.absorbers.s4_screen import S4Screen, S4ScreenElement
    from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical
    from syned.beamline.element_coordinates import ElementCoordinates
    from syned.beamline.shape import Rectangle
    source = SourceGeometrical(nrays=50_000, seed=24680)
    source.set_spatial_type_gaussian(sigma_h=10e-6, sigma_v=5e-6)
    source.set_angular_distribution_gaussian(sigdix=20e-6, sigdiz=10e-6)
    source.set_energy_distribution_singleline(10_000, unit="eV")
    rays = source.get_beam()
    for half_h, half_v, d in ((20e-6, 1.0, 0.5), (100e-6, 50e-6, 5.0), (60e-6, 1.0, 3.0), (150e-6, 40e-6, 8.0)):
        slit = S4Screen(name="slit", boundary_shape=Rectangle(-half_h, half_h, -half_v, half_v), i_abs=0, i_stop=0)
        where = ElementCoordinates(p=d, q=0.0, angle_radial=0.0, angle_radial_out=math.pi)
        element = S4ScreenElement(optical_element=slit, coordinates=where)
        element.set_input_beam(rays.duplicate())
        beam, _ = element.trace_beam()
        traced = float((beam.get_column(10) > 0).mean())
        value = slit_transmission(half_h, half_v, d)
        vertical = f"±{half_v * 1e6:.0f} µm" if half_v < 0.01 else "open"
        slit_name = f"±{half_h * 1e6:.0f} µm × {vertical} at {d} m"
        assert abs(value / traced - 1) < 0.02, f"{slit_name}: {value:.4f}, traced {traced:.4f}"
''',
        },
        {
            "name": "test_fraction",
            "points": 1,
            "hidden": True,
            "source": """def test_fraction():
    import math
    assert fraction is not None, "set fraction"
    # ±20 µm × ±10 µm at 1 m, where the beam is 22.4 µm × 11.2 µm rms: 0.396 (0.466 from the divergence alone).
    expected = math.erf(20e-6 / math.sqrt(2) / math.hypot(10e-6, 20e-6)) * math.erf(
        10e-6 / math.sqrt(2) / math.hypot(5e-6, 10e-6))
    assert abs(fraction / expected - 1) < 0.02, f"fraction = {fraction:.4f}: with the beam sizes at 1 m?"
""",
        },
    ),
    "policy": {"max_attempts": 5, "decay_per_attempt": "0.1", "min_factor": "0.5", "deadline_days": 60},
}

LESSON_SLITS = {
    "title": "Slits",
    "slug": "slits",
    "summary": "How much of a Gaussian beam a slit lets through, traced and computed.",
    "body": [
        (
            "text",
            "<p>Slits define the beam a beamline accepts: they cut the tails of the source's distribution, cut "
            "the divergence seen by the optics downstream and set the size of a secondary source. A slit of "
            "half-width a centred on a Gaussian beam of rms size σ at the slit passes the fraction of the rays "
            "between −a and +a, the error function:</p>",
        ),
        (
            "maths",
            {
                "latex": r"T(a) = \frac{1}{\sqrt{2\pi}\,\sigma}\int_{-a}^{a} e^{-x^2/2\sigma^2}\,dx"
                r" = \operatorname{erf}\!\left(\frac{a}{\sqrt{2}\,\sigma}\right)",
                "caption": "A slit of ±σ passes 68.3 %, ±2σ 95.4 %. σ is the size at the slit, σ(d) of lesson 1.",
            },
        ),
        (
            "text",
            "<p>A rectangular slit passes the product of its horizontal and vertical fractions, as x and z are "
            "independent in this source. The cell below traces 30,000 rays through slits of several widths "
            "(shadow4's <code>S4Screen</code> with a rectangular aperture, 5 m from the source) and compares "
            "the fraction of good rays with the error function.</p>",
        ),
        code_cell(
            _SOURCE_FUNCTION
            + '''

import math

import matplotlib.pyplot as plt
import numpy as np
import panlearn_optics as optics
from shadow4.beamline.optical_elements.absorbers.s4_screen import S4Screen, S4ScreenElement
from syned.beamline.element_coordinates import ElementCoordinates
from syned.beamline.shape import Rectangle


def through_slit(rays, half_h, half_v, distance):
    """The rays after a rectangular slit of ± half_h × ± half_v (m) at `distance` (m) from the source."""
    slit = S4Screen(name="slit", boundary_shape=Rectangle(-half_h, half_h, -half_v, half_v), i_abs=0, i_stop=0)
    where = ElementCoordinates(p=distance, q=0.0, angle_radial=0.0, angle_radial_out=math.pi)
    element = S4ScreenElement(optical_element=slit, coordinates=where)
    element.set_input_beam(rays.duplicate())  # the slit changes the beam it is given: keep the source's
    beam, _ = element.trace_beam()
    return beam


rays = gaussian_source(nrays=30_000)
distance = 5.0
sigma_h = optics.beam_size(distance, 10e-6, 20e-6)
half_widths = np.linspace(10e-6, 300e-6, 12)
traced = [(through_slit(rays, a, 1.0, distance).get_column(10) > 0).mean() for a in half_widths]  # open vertically
analytic = [optics.gaussian_slit_transmission(a, sigma_h) for a in half_widths]

plt.figure(figsize=(5.5, 4))
plt.plot(half_widths * 1e6, traced, "o", label="shadow4, 30,000 rays")
plt.plot(half_widths * 1e6, analytic, "-", label="erf(a / √2 σ(d))")
plt.axvline(sigma_h * 1e6, color="grey", ls=":", label=f"σ(5 m) = {sigma_h * 1e6:.0f} µm")
plt.xlabel("horizontal half-width a (µm)")
plt.ylabel("transmitted fraction")
plt.legend()
plt.show()
for a, t, f in zip(half_widths[::3], traced[::3], analytic[::3]):
    print(f"a = {a * 1e6:5.0f} µm: traced {t:.4f}, erf {f:.4f}")
'''
        ),
        (
            "text",
            "<p>Where a slit stands matters: 5 m from the source the beam is σ(5 m) = √(σ₀² + (5 m · σ′)²) "
            "≈ 100 µm, nearly all of it from the divergence, so the same slit passes less the further it is "
            "from the source. The rays a slit keeps are also those with small angles: it cuts the divergence "
            "downstream too.</p>",
        ),
        code_cell(
            """# Uses through_slit, rays and distance from the cell above: run the cells in order.
beam = through_slit(rays, 50e-6, 1.0, distance)
good = beam.get_column(10) > 0
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].hist(beam.get_column(1)[good] * 1e6, bins=80)
axes[0].set_xlabel("x at the slit (µm)")
axes[1].hist(rays.get_column(4) * 1e6, bins=80, alpha=0.5, label="source")
axes[1].hist(beam.get_column(4)[good] * 1e6, bins=80, alpha=0.7, label="through ±50 µm")
axes[1].set_xlabel("x′ (µrad)")
axes[1].legend()
plt.tight_layout()
plt.show()
print(f"transmitted {good.mean():.3f}; divergence {np.std(rays.get_column(4)) * 1e6:.1f} → "
      f"{np.std(beam.get_column(4)[good]) * 1e6:.1f} µrad")
"""
        ),
        ("exercise", {"exercise": SLIT_EXERCISE["title"]}),
    ],
}

# --- Lesson 3: focusing with a toroidal mirror -----------------------------------------------------------

MIRROR_EXERCISE = {
    "title": "Radius of a focusing mirror (optics course)",
    "lesson": "focusing-with-a-toroidal-mirror",
    "datasets": (),
    "prompt": (
        "A mirror at grazing angle $\\theta$ (radians, from the surface) images a source at distance $p$ onto "
        "an image at $q$ (metres) in its plane of reflection when its meridional radius is\n\n"
        "$$R = \\frac{2pq}{(p+q)\\sin\\theta}.$$\n\n"
        "Write `mirror_radius(p, q, theta)` that returns $R$ in metres. Then, for the beamline of this lesson "
        "with $p = 20$ m, $q = 10$ m and $\\theta = 3$ mrad, set `radius` to its meridional radius and "
        "`spot_fwhm_h` to the horizontal FWHM of the focused spot (metres) that the lens equation predicts "
        "for the source's $\\sigma_h = 10$ µm. The radius is checked to $10^{-6}$ relative (so use "
        "$\\sin\\theta$, not $\\theta$), the spot within 10 % of a ray trace."
    ),
    "starter_code": """import math


def mirror_radius(p, q, theta):
    ...


radius = None  # metres
spot_fwhm_h = None  # metres
""",
    "solution_code": """import math

FWHM_PER_SIGMA = 2 * math.sqrt(2 * math.log(2))


def mirror_radius(p, q, theta):
    return 2 * p * q / ((p + q) * math.sin(theta))


radius = mirror_radius(20.0, 10.0, 3e-3)
spot_fwhm_h = FWHM_PER_SIGMA * 10e-6 * 10.0 / 20.0  # the source's FWHM times the magnification q/p
print(f"R = {radius:.1f} m, spot {spot_fwhm_h * 1e6:.2f} µm FWHM")
""",
    "tests": (
        {
            "name": "test_one_to_one",
            "points": 1,
            "source": '''def test_one_to_one():
    """p = q = 10 m at 3 mrad: R = p / sinθ, 3333 m."""
    import math
    value = mirror_radius(10.0, 10.0, 3e-3)
    assert value is not None, "mirror_radius returns nothing"
    expected = 10.0 / math.sin(3e-3)
    used_theta = abs(value * 3e-3 / 10.0 - 1) < 1e-9  # 3333.333 m rather than 3333.338 m
    assert abs(value / expected - 1) < 1e-6, f"R = {value:.4f} m, expected {expected:.4f} m" + (
        ": use sin θ, not θ (at 3 mrad they differ by 1.5 ppm)" if used_theta else "")
''',
        },
        {
            "name": "test_radius_exactly",
            "points": 2,
            "hidden": True,
            "source": """def test_radius_exactly():
    import math
    for p, q, theta in ((20.0, 10.0, 3e-3), (30.0, 2.5, 4e-3), (15.0, 45.0, 0.05)):
        expected = 2 * p * q / ((p + q) * math.sin(theta))
        value = mirror_radius(p, q, theta)
        assert abs(value / expected - 1) < 1e-6, f"p = {p}, q = {q}, θ = {theta}: {value} m"
    assert radius is not None and abs(radius / mirror_radius(20.0, 10.0, 3e-3) - 1) < 1e-6, f"radius = {radius}"
""",
        },
        {
            "name": "test_spot_against_a_trace",
            "points": 2,
            "hidden": True,
            "source": '''def test_spot_against_a_trace():
    """30,000 rays through the toroid at p = 20 m, q = 10 m, 3 mrad: the predicted FWHM within 10 %."""
    import panlearn_shadow4 as s4
    assert spot_fwhm_h is not None, "set spot_fwhm_h"
    traced = s4.trace(s4.ToroidBeamline(nrays=30_000, seed=97531, p=20.0, q=10.0, grazing_angle=3e-3,
                                        slit_half_h=None, slit_half_v=None)).fwhm_h  # no slit
    assert abs(spot_fwhm_h / traced - 1) < 0.10, f"{spot_fwhm_h * 1e6:.2f} µm, traced {traced * 1e6:.2f} µm"
''',
        },
    ),
    "policy": {"max_attempts": 5, "decay_per_attempt": "0.1", "min_factor": "0.5", "deadline_days": 60},
}

LESSON_MIRROR = {
    "title": "Focusing with a toroidal mirror",
    "slug": "focusing-with-a-toroidal-mirror",
    "summary": "A curved mirror at grazing incidence as a lens: its radii, its footprint and its focus.",
    "body": [
        (
            "text",
            "<p>X-rays reflect only at grazing angles, a few milliradians, below the coating's critical angle "
            "(about 6.7 mrad for rhodium at 10 keV). A mirror curved along the beam then acts as a lens of long "
            "focal length in its plane of reflection (the <em>meridional</em> plane, vertical here) and one "
            "curved across the beam acts in the <em>sagittal</em> plane. A toroid has one radius for each: "
            "R along the beam, ρ across it. For a source at distance p and an image at q, the lens equation "
            "1/p + 1/q = 1/f holds in each plane with</p>",
        ),
        (
            "maths",
            {
                "latex": r"f_m = \frac{R\sin\theta}{2},\quad f_s = \frac{\rho}{2\sin\theta}"
                r"\qquad\Longrightarrow\qquad R = \frac{2pq}{(p+q)\sin\theta},\quad \rho = \frac{2pq\sin\theta}{p+q}",
                "caption": "θ is the grazing angle from the surface. At 3 mrad, R is kilometres and ρ centimetres.",
            },
        ),
        (
            "text",
            "<p>The image of a Gaussian source is Gaussian with size σ·q/p (the magnification M = q/p), and at "
            "grazing incidence the beam spreads along the mirror over its size divided by sin θ: the "
            "<em>footprint</em>. As the mirror reflects upwards, that is the vertical (meridional) beam size "
            "at the mirror, σ<sub>v</sub>(p) / sin θ, about 67 mm rms here; across the mirror the footprint "
            "is just the horizontal beam size there. The cell traces <code>panlearn_shadow4</code>'s beamline "
            "(source → toroid → image screen) with 30,000 rays for p = 20 m, q = 10 m, θ = 3 mrad, and shows "
            "both.</p>",
        ),
        code_cell(
            """import matplotlib.pyplot as plt
import numpy as np
import panlearn_optics as optics
import panlearn_shadow4 as s4

p, q, theta = 20.0, 10.0, 3e-3  # m, m, rad
config = s4.ToroidBeamline(nrays=30_000, p=p, q=q, grazing_angle=theta, slit_half_h=None, slit_half_v=None)
print(f"R = {optics.meridional_radius(p, q, theta):.1f} m, ρ = {optics.sagittal_radius(p, q, theta) * 100:.2f} cm")

beamline = s4.build(config)
beam = beamline.get_light_source().get_beam()
footprint = None
for element in beamline.get_beamline_elements():  # slit (none here), mirror, screen
    element.set_input_beam(beam)
    beam, on_element = element.trace_beam()
    if element.get_optical_element().get_name() == "toroid":
        footprint = on_element  # the rays in the mirror's own frame: y along it, x across
good = beam.get_column(10) > 0

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].plot(footprint.get_column(2) * 1e3, footprint.get_column(1) * 1e3, ",", alpha=0.4)
axes[0].set_xlabel("along the mirror (mm)")
axes[0].set_ylabel("across (mm)")
axes[0].set_title("Footprint on the mirror")
axes[1].plot(beam.get_column(1)[good] * 1e6, beam.get_column(3)[good] * 1e6, ",", alpha=0.4)
axes[1].set_xlabel("x (µm)")
axes[1].set_ylabel("z (µm)")
axes[1].set_title("Spot at the image")
axes[1].set_aspect("equal")
plt.tight_layout()
plt.show()

along = np.std(footprint.get_column(2))
expected = optics.beam_size(p, 5e-6, 10e-6) / np.sin(theta)  # the vertical beam size at the mirror, spread
print(f"footprint rms {along * 1e3:.1f} mm along the mirror; σ_v(p) / sinθ = {expected * 1e3:.1f} mm")
for name, column, sigma in (("horizontal", 1, 10e-6), ("vertical", 3, 5e-6)):
    traced = optics.fwhm(beam.get_column(column)[good])
    expected = optics.FWHM_PER_SIGMA * sigma * optics.magnification(p, q)
    print(f"{name:10s} spot FWHM {traced * 1e6:5.2f} µm, lens equation {expected * 1e6:5.2f} µm")
"""
        ),
        (
            "text",
            "<p>The horizontal (sagittal) spot is the source's size times q/p = 1/2, as the lens equation says. "
            "The vertical one is a little "
            "larger: a toroid only approximates the ellipse that images one point perfectly onto another, and "
            "its aberrations grow with the demagnification and the length of the footprint. The next cell "
            "keeps p + q = 30 m and demagnifies more and more.</p>",
        ),
        code_cell(
            """# Uses s4, optics, theta, np and plt from the cell above: run the cells in order.
ratios = []
for p in (15.0, 20.0, 24.0, 25.0):
    q = 30.0 - p
    config = s4.ToroidBeamline(nrays=20_000, p=p, q=q, grazing_angle=theta, slit_half_h=None, slit_half_v=None)
    result = s4.trace(config)
    expected_h = optics.FWHM_PER_SIGMA * 10e-6 * q / p
    expected_v = optics.FWHM_PER_SIGMA * 5e-6 * q / p
    ratios.append((p / q, result.fwhm_h / expected_h, result.fwhm_v / expected_v))
    print(f"p/q = {p / q:4.1f}: traced / lens equation, horizontal {ratios[-1][1]:.2f}, vertical {ratios[-1][2]:.2f}")

demag, horizontal, vertical = np.array(ratios).T
plt.figure(figsize=(5.5, 4))
plt.plot(demag, horizontal, "o-", label="horizontal (sagittal)")
plt.plot(demag, vertical, "s-", label="vertical (meridional)")
plt.axhline(1, color="grey", ls=":")
plt.xlabel("demagnification p/q")
plt.ylabel("traced FWHM / lens equation")
plt.legend()
plt.show()
"""
        ),
        (
            "callout",
            {
                "kind": "tip",
                "title": "The script behind it",
                "body": "<p><code>print(s4.build(config).to_python_code())</code> prints this beamline as a "
                "standalone shadow4 script: copy it into a cell and change what you like (a rhodium coating, "
                "a slit, an ellipsoid instead of a toroid).</p>",
            },
        ),
        ("exercise", {"exercise": MIRROR_EXERCISE["title"]}),
    ],
}

OPTICS_EXERCISES = (SOURCE_EXERCISE, SLIT_EXERCISE, MIRROR_EXERCISE)

OPTICS_COURSE = {
    "title": "X-ray beamline optics by ray tracing",
    "slug": "x-ray-beamline-optics",
    "summary": (
        "Virtual experiments with shadow4: a Gaussian source in phase space, slits, and a toroidal mirror "
        "that focuses the beam, each traced with rays and checked against the formula."
    ),
    "level": "intermediate",
    "estimated_minutes": 90,
    "prerequisites": (
        "<p>Basic Python with numpy and matplotlib, and geometrical optics (the thin-lens equation). "
        "No beamline experience is needed.</p>"
    ),
    "learning_outcomes": [
        "Describe a Gaussian source by its size, divergence and emittance, and propagate its rms size.",
        "Compute the fraction of a beam a slit transmits and check it against a ray trace.",
        "Choose the radii of a toroidal mirror for a given source and image distance and grazing angle.",
        "Judge when the lens equation describes a traced focus and when aberrations take over.",
    ],
    "technique": None,
    "facility": "PDS",  # the demo's fictional light source (courses.SAFETY_FACILITY)
    "instructors": [{"name": "Dr. Ada Example", "affiliation": "panlearn demo", "orcid": ""}],
    "licence": "CC-BY-4.0",
    "enrolment": "open",
    "lessons": [LESSON_SOURCE, LESSON_SLITS, LESSON_MIRROR],
}
