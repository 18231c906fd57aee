"""Four real analyses of bundled facility data, written as lesson notebooks.

Each analysis is a list of code cells that a student runs in order in one kernel
session, with the named bundled datasets mounted (see `content.bundled` and
`runner/kernel_lib/panlearn_data.py`). The cells go load → look → model → fit →
report, and use only the standard library, numpy, scipy, matplotlib and h5py, which every kernel has.
The last cell of each prints one JSON line of results, so the numbers can be
checked (tests/demo/test_demo_analyses.py runs them in a real sandboxed kernel).

Units: Q in Å⁻¹, lengths in Å, SLD in 10⁻⁶ Å⁻², energies in meV, times in µs.

This module is pure data: it must not import Django or any project code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Analysis:
    slug: str
    title: str
    intro: str
    datasets: tuple[str, ...]  # ids in content.bundled.BUNDLED_DATASETS, mounted at /data/<id>/
    cells: tuple[str, ...]  # Python source, run in order in one session; the last prints one JSON line

    @property
    def code(self) -> str:
        """All cells as one script."""
        return "\n\n".join(self.cells)


# --- 1. Neutron reflectometry: a DMPC bilayer at three contrasts ------------------------------

_REFLECTOMETRY_CELLS = (
    # Load
    """# Step 1 - load the three contrasts.
# Each file is a reduced Platypus curve with four columns: Q (Å⁻¹), the reflectivity R, its standard
# deviation dR, and dQ, the Q resolution (full width at half maximum, Å⁻¹). The same DMPC bilayer on a
# silicon block was measured three times; only the water against it changed.
import json

import numpy as np
import panlearn_data as data

FILES = {"D2O": "c_PLP0016596.dat", "hdmix": "c_PLP0016601.dat", "H2O": "c_PLP0016607.dat"}
NOMINAL_WATER_SLD = {"D2O": 6.36, "hdmix": 2.07, "H2O": -0.56}  # 10⁻⁶ Å⁻²; hdmix is matched to silicon

curves = {}
for contrast, name in FILES.items():
    q, r, dr, dq = data.load("platypus-dmpc-bilayer", name).T
    curves[contrast] = (q, r, dr, dq)
    print(f"{contrast:6s} {name}: {len(q):3d} points, Q {q.min():.4f} to {q.max():.3f} Å⁻¹, "
          f"dQ/Q = {np.median(dq / q):.3f}, largest R = {r.max():.3g}")
""",
    # Look
    """# Step 2 - look before modelling.
# The neutrons reach the film through the silicon. Only D2O has a higher SLD than silicon (2.07), so only the
# D2O curve shows total reflection, R = 1, below the critical edge Q_c = sqrt(16π Δρ). R falls by about seven
# decades over the Q range; the wiggles on the way down come from the thin layers.
import matplotlib.pyplot as plt

SLD_SI = 2.07  # 10⁻⁶ Å⁻²
q_critical = np.sqrt(16 * np.pi * (NOMINAL_WATER_SLD["D2O"] - SLD_SI) * 1e-6)
print(f"critical edge of Si/D2O: Q_c = {q_critical:.4f} Å⁻¹")

fig, ax = plt.subplots(figsize=(6.5, 4))
for contrast, (q, r, dr, _dq) in curves.items():
    ax.errorbar(q, r, dr, fmt=".", markersize=3, label=contrast)
ax.axvline(q_critical, color="grey", linestyle=":", label="$Q_c$ of Si/D2O")
ax.set(yscale="log", ylim=(1e-7, 3), xlabel="Q (Å$^{-1}$)", ylabel="R")
ax.legend()
plt.show()
""",
    # Model: the physics
    '''# Step 3 - the reflectivity of a stack of slabs (the Abelès matrix method).
# In slab j the neutron's wavevector normal to the surface is k_j = sqrt((Q/2)² - 4π(ρ_j - ρ_0)).
# Each interface reflects a fraction r = (k_j - k_j+1)/(k_j + k_j+1) of the amplitude, reduced by the
# Névot-Croce factor exp(-2 k_j k_j+1 σ²) for a roughness σ; crossing slab j of thickness d adds the phase
# k_j d. Multiplying one 2x2 matrix per interface and per slab gives R = |M10 / M00|².
def abeles(q, sld, thickness, roughness):
    """R(q). sld: fronting medium (Si) first, backing medium (water) last, in 10⁻⁶ Å⁻²;
    thickness: one per inner slab (Å); roughness: one per interface (Å)."""
    sld = np.asarray(sld, dtype=float)
    k = np.sqrt((q[:, None] / 2) ** 2 - 4e-6 * np.pi * (sld - sld[0]) + 0j)
    upper, lower = k[:, :-1], k[:, 1:]
    r = (upper - lower) / (upper + lower) * np.exp(-2 * upper * lower * np.square(roughness))
    m00, m01 = np.ones_like(k[:, 0]), np.zeros_like(k[:, 0])
    m10, m11 = np.zeros_like(k[:, 0]), np.ones_like(k[:, 0])
    for j in range(len(sld) - 1):
        # the interface below medium j: M <- M @ [[1, r], [r, 1]]
        m00, m01, m10, m11 = m00 + m01 * r[:, j], m00 * r[:, j] + m01, m10 + m11 * r[:, j], m10 * r[:, j] + m11
        if j + 1 < len(sld) - 1:
            # then the slab j+1: M <- M @ diag(exp(-iβ), exp(iβ)) with β = k d
            phase = np.exp(1j * k[:, j + 1] * thickness[j])
            m00, m01, m10, m11 = m00 / phase, m01 * phase, m10 / phase, m11 * phase
    return np.abs(m10 / m00) ** 2


# The instrument averages over a Gaussian spread of Q around each point (FWHM dQ): integrate over it.
GAUSS_NODES = np.linspace(-3.5, 3.5, 17)  # in standard deviations
GAUSS_WEIGHTS = np.exp(-(GAUSS_NODES**2) / 2) / np.exp(-(GAUSS_NODES**2) / 2).sum()


def smeared(q, dq, sld, thickness, roughness):
    sigma = dq / (2 * np.sqrt(2 * np.log(2)))
    q_points = np.abs(q[:, None] + sigma[:, None] * GAUSS_NODES)
    r = abeles(q_points.ravel(), sld, thickness, roughness).reshape(q_points.shape)
    return r @ GAUSS_WEIGHTS


# A check against something known: a bare Si/D2O interface reflects everything below Q_c.
print("bare Si/D2O, R at 0.8 Q_c and 1.5 Q_c:",
      abeles(np.array([0.8, 1.5]) * q_critical, [SLD_SI, NOMINAL_WATER_SLD["D2O"]], [], [0.0]).round(4))
''',
    # Model: the sample
    '''# Step 4 - a model of the sample, shared by the three contrasts.
#   Si | SiO2 | inner head groups | tails of both leaflets | outer head groups | water
# Any layer may hold some water (volume fraction f), so its SLD is (1 - f) ρ_dry + f ρ_water. Changing the
# water changes every wet layer in a known way: that is why fitting the three contrasts together pins the
# structure down much better than any one curve could.
SLD_SIO2 = 3.47

PARAMS = {  # name: (start, lower bound, upper bound)
    "d_sio2": (15.0, 2.0, 40.0),  # Å
    "f_sio2": (0.2, 0.0, 0.9),  # water fraction
    "rough_si": (3.0, 1.0, 10.0),  # Å, Si/SiO2 interface
    "d_heads": (8.0, 3.0, 20.0),  # Å, each head-group layer
    "sld_heads": (1.9, 0.0, 4.0),
    "f_heads": (0.3, 0.0, 0.9),
    "d_tails": (28.0, 10.0, 40.0),  # Å, the tails of both leaflets together
    "sld_tails": (-0.4, -0.6, 1.5),
    "f_tails": (0.05, 0.0, 0.5),
    "rough": (4.0, 2.0, 10.0),  # Å, every interface from the oxide outwards
    "scale": (1.0, 0.8, 1.2),  # normalisation, shared
    "sld_D2O": (6.36, 5.8, 6.40),  # the waters' SLDs are refined close to nominal (exchange, mixing)
    "sld_hdmix": (2.07, 1.5, 2.7),
    "sld_H2O": (-0.56, -0.6, 0.0),
    "bkg_D2O": (2e-6, 0.0, 1e-4),  # flat background of each measurement
    "bkg_hdmix": (2e-6, 0.0, 1e-4),
    "bkg_H2O": (2e-6, 0.0, 1e-4),
}
NAMES = list(PARAMS)
START, LOWER, UPPER = (np.array(column) for column in zip(*PARAMS.values(), strict=True))


def stack(p, contrast):
    """The layers (SLDs, thicknesses, roughnesses) seen against one water."""
    v = dict(zip(NAMES, p, strict=True))
    water = v[f"sld_{contrast}"]

    def wet(sld, fraction):
        return (1 - fraction) * sld + fraction * water

    heads = wet(v["sld_heads"], v["f_heads"])
    sld = [SLD_SI, wet(SLD_SIO2, v["f_sio2"]), heads, wet(v["sld_tails"], v["f_tails"]), heads, water]
    thickness = [v["d_sio2"], v["d_heads"], v["d_tails"], v["d_heads"]]
    roughness = [v["rough_si"]] + [v["rough"]] * 4
    return sld, thickness, roughness


def model(p, contrast):
    q, _r, _dr, dq = curves[contrast]
    v = dict(zip(NAMES, p, strict=True))
    return v["scale"] * smeared(q, dq, *stack(p, contrast)) + v[f"bkg_{contrast}"]


def residuals(p):
    """(model - data) / dR for all three curves: the sum of their squares is χ²."""
    return np.concatenate([(model(p, c) - r) / dr for c, (q, r, dr, dq) in curves.items()])


n_points = sum(len(q) for q, r, dr, dq in curves.values())
chi2_start = np.sum(residuals(START) ** 2) / n_points
print(f"{len(NAMES)} parameters, {n_points} data points, χ²/N at the start = {chi2_start:.1f}")
''',
    # Fit
    """# Step 5 - fit by weighted least squares.
# Near the minimum the residuals are almost linear in the parameters, and the covariance of the parameters is
# (JᵀJ)⁻¹, with J the Jacobian of the residuals. If the reduced χ² is above 1 the model does not explain
# all of the scatter, and we inflate the uncertainties by it.
from scipy.optimize import least_squares

fit = least_squares(residuals, START, bounds=(LOWER, UPPER), x_scale="jac")
dof = n_points - len(NAMES)
chi2_red = 2 * fit.cost / dof
covariance = np.linalg.pinv(fit.jac.T @ fit.jac) * max(chi2_red, 1.0)
best = dict(zip(NAMES, fit.x, strict=True))
error = dict(zip(NAMES, np.sqrt(np.diag(covariance)), strict=True))
# A parameter stopped at a bound is not really determined by the data: say so.
at_bounds = [
    n for n, x, lo, hi in zip(NAMES, fit.x, LOWER, UPPER, strict=True) if min(x - lo, hi - x) < 1e-3 * (hi - lo)
]
for name in NAMES:
    print(f"{name:10s} {best[name]:10.4g} ± {error[name]:.2g}" + ("   (at its bound)" if name in at_bounds else ""))
print(f"reduced χ² = {chi2_red:.2f} ({dof} degrees of freedom, {fit.nfev} model evaluations)")
""",
    # Look at the fit
    """# Step 6 - look at the fit. R·Q⁴ removes the steep Fresnel fall so the fringes can be compared; the SLD
# profile shows the structure the three curves agree on (each rough interface is an error function).
from scipy.special import erf

fig, (ax_r, ax_sld) = plt.subplots(1, 2, figsize=(11, 4))
for i, (contrast, (q, r, dr, _dq)) in enumerate(curves.items()):
    offset = 10.0**i
    ax_r.errorbar(q, r * q**4 * offset, dr * q**4 * offset, fmt=".", markersize=3, label=contrast)
    ax_r.plot(q, model(fit.x, contrast) * q**4 * offset, color="black", linewidth=1)
    sld, thickness, roughness = stack(fit.x, contrast)
    interfaces = np.concatenate([[0.0], np.cumsum(thickness)])
    z = np.linspace(-20, interfaces[-1] + 30, 400)
    profile = np.full_like(z, sld[0])
    for z_i, step, sigma in zip(interfaces, np.diff(sld), roughness, strict=True):
        profile += step * 0.5 * (1 + erf((z - z_i) / (np.sqrt(2) * sigma)))
    ax_sld.plot(z, profile, label=contrast)
ax_r.set(yscale="log", xlabel="Q (Å$^{-1}$)", ylabel="R·Q$^4$ (Å$^{-4}$, offset)")
ax_sld.set(xlabel="distance from the Si/SiO2 interface (Å)", ylabel="SLD (10$^{-6}$ Å$^{-2}$)")
ax_r.legend()
ax_sld.legend()
plt.show()
""",
    # Report
    """# Step 7 - report, and check the numbers against what is known about DMPC.
# DMPC's two myristoyl tails, C26H54 (the carbonyls count with the head group), fill about 782 Å³
# (Nagle & Tristram-Nagle, Biochim. Biophys. Acta 1469 (2000) 159). With coherent scattering lengths
# b_C = 6.646 fm and b_H = -3.739 fm their SLD is Σb / V, and the area per lipid is the tail volume over
# the dry thickness of one leaflet's tails.
V_TAILS = 782.0  # Å³
B_C, B_H = 6.646e-5, -3.739e-5  # Å (1 fm = 10⁻⁵ Å)
sld_tails_expected = (26 * B_C + 54 * B_H) / V_TAILS * 1e6
leaflet = best["d_tails"] / 2 * (1 - best["f_tails"])
area = V_TAILS / leaflet
area_error = area * np.hypot(error["d_tails"] / best["d_tails"], error["f_tails"] / (1 - best["f_tails"]))
print(f"tails: SLD {best['sld_tails']:.2f} ± {error['sld_tails']:.2f} fitted, {sld_tails_expected:.2f} expected")
print(f"area per lipid {area:.0f} ± {area_error:.0f} Å² (fluid DMPC: about 60 Å²)")
print(f"bilayer: {2 * best['d_heads'] + best['d_tails']:.1f} Å thick on {best['d_sio2']:.1f} Å of oxide")

results = {"chi2_red": round(chi2_red, 3), "n_points": n_points, "sld_si": SLD_SI, "sld_sio2": SLD_SIO2}
for name in NAMES:
    results[name] = round(float(best[name]), 9 if name.startswith("bkg") else 4)
    results[name + "_err"] = round(float(error[name]), 9 if name.startswith("bkg") else 4)
results.update(area_per_lipid_A2=round(area, 1), area_per_lipid_err_A2=round(area_error, 1),
               sld_tails_expected=round(sld_tails_expected, 3), at_bounds=at_bounds)
print(json.dumps(results))
""",
)

REFLECTOMETRY = Analysis(
    slug="platypus-dmpc-bilayer-slab-fit",
    title="Fitting a lipid bilayer to three neutron contrasts",
    intro=(
        "Neutron reflectivity of a DMPC bilayer on a silicon block, measured on Platypus (ANSTO) against "
        "D2O, silicon-matched water and H2O. We write the Abelès matrix calculation ourselves, add the "
        "instrument's resolution, build one slab model of Si | SiO2 | heads | tails | heads | water shared by "
        "the three contrasts, fit it by least squares and read off layer thicknesses, SLDs and their "
        "uncertainties, then check them against the known volume and composition of DMPC."
    ),
    datasets=("platypus-dmpc-bilayer",),
    cells=_REFLECTOMETRY_CELLS,
)


# --- 2. SANS: Guinier analysis of two polymer blends measured on LOQ at ISIS -------------------

_GUINIER_CELLS = (
    # Load
    """# Step 1 - read the two canSAS 1D XML files. canSAS 1D is XML in the namespace urn:cansas1d:1.1: an SASentry
# holds a Title, a Run and an SASdata element with one Idata element per point, whose children Q, I, Idev (the
# standard deviation of I) and Qdev (that of Q) carry their units in a "unit" attribute. The standard library's
# ElementTree reads it; every tag has to be looked up with its namespace.
import json
import xml.etree.ElementTree as ET

import numpy as np
import panlearn_data as data

DATASET = "isis-loq-polystyrene-blends"
NS = {"cs": "urn:cansas1d:1.1"}
# What the data provider documents (sasdata's example_data/media/testdata_help.rst) about the two blends of
# deuterated and hydrogenous polystyrene: the weight-average molar mass and the radius of gyration.
BLENDS = {
    "TK49": {"file": "ISIS_Polymer_Blend_TK49.xml", "mw": 77500.0, "rg_documented": 74.0},
    "RT2": {"file": "ISIS_Polymer_Blend_RT2.xml", "mw": 54180.0, "rg_documented": 58.0},
}
COLUMNS = ("Q", "I", "Idev", "Qdev")

curves = {}
for name, blend in BLENDS.items():
    entry = ET.parse(data.path(DATASET, blend["file"])).getroot().find("cs:SASentry", NS)
    points = entry.findall("cs:SASdata/cs:Idata", NS)
    q, intensity, sigma, q_dev = (
        np.array([float(point.findtext(f"cs:{c}", namespaces=NS)) for point in points]) for c in COLUMNS
    )
    units = {c: points[0].find(f"cs:{c}", NS).get("unit") for c in COLUMNS}
    curves[name] = (q, intensity, sigma, q_dev)
    resolution = f"Qdev/Q up to {np.max(q_dev / q):.2f}" if q_dev.any() else "Qdev not recorded (all 0)"
    print(f"{name}: run {entry.findtext('cs:Run', namespaces=NS)} '{entry.findtext('cs:Title', namespaces=NS)}' "
          f"on {entry.findtext('cs:SASinstrument/cs:name', namespaces=NS)}, {len(q)} points, Q {q.min():.3f} to "
          f"{q.max():.3f} {units['Q']}, I in {units['I']}; {resolution}")
""",
    # Look
    """# Step 2 - look before fitting. On log-log axes a polymer coil gives a plateau at low Q bending over into a
# Q⁻² fall at high Q (a random walk is a fractal of dimension 2). On a Guinier plot, ln I against Q², the low-Q
# points lie on a straight line. Note how few points the Guinier region holds: Q·Rg ≤ 1.3 means Q ≤ 0.018 Å⁻¹
# for Rg ≈ 74 Å, and the first point of TK49 is already at 0.009 Å⁻¹.
import matplotlib.pyplot as plt

fig, (ax_log, ax_guinier) = plt.subplots(1, 2, figsize=(11, 4))
for name, (q, intensity, sigma, _q_dev) in curves.items():
    ax_log.errorbar(q, intensity, sigma, fmt=".", markersize=3, label=name)
    low = q**2 < 1.5e-3
    ax_guinier.errorbar(q[low] ** 2, np.log(intensity[low]), sigma[low] / intensity[low], fmt=".", label=name)
    tail = (q > 0.06) & (q < 0.15)
    exponent = np.polyfit(np.log(q[tail]), np.log(intensity[tail]), 1)[0]
    print(f"{name}: I(Q_min) = {intensity[0]:.1f} cm⁻¹; from 0.06 to 0.15 Å⁻¹, I ∝ Q^{exponent:.2f}")
ax_log.set(xscale="log", yscale="log", xlabel="Q (Å$^{-1}$)", ylabel="I (cm$^{-1}$)")
ax_guinier.set(xlabel="Q$^2$ (Å$^{-2}$)", ylabel="ln I")
ax_log.legend()
ax_guinier.legend()
plt.show()
""",
    # Model
    '''# Step 3 - the Guinier law. At small Q the scattering of any particle, a polymer coil included, is
#     I(Q) = I(0) exp(-Q²Rg²/3),   so   ln I = ln I(0) - (Rg²/3) Q²,
# a straight line in Q², close to the exact curve while Q·Rg ≤ 1.3 (how close for a coil: step 6). Fit ln I
# against Q² by weighted least squares: the standard deviation of ln I is σ_I / I. With the design matrix A
# (columns 1 and Q², each row divided by its σ) the covariance of (ln I(0), slope) is (AᵀA)⁻¹; if the points
# scatter more than their error bars say (reduced χ² > 1), inflate it by χ²_red. Then Rg = √(-3 slope),
# σ_Rg = 3 σ_slope / (2 Rg) and σ_I(0) = I(0) σ_ln I(0).
QRG_LIMIT = 1.3


def guinier_fit(q, intensity, sigma):
    x, y, s = q**2, np.log(intensity), sigma / intensity
    design = np.column_stack([np.ones_like(x), x]) / s[:, None]
    covariance = np.linalg.inv(design.T @ design)
    intercept, slope = covariance @ design.T @ (y / s)
    chi2_red = np.sum((design @ [intercept, slope] - y / s) ** 2) / (len(x) - 2)
    covariance = covariance * max(chi2_red, 1.0)
    rg = np.sqrt(-3 * slope)
    return {"rg": rg, "rg_err": 1.5 / rg * np.sqrt(covariance[1, 1]), "i0": np.exp(intercept),
            "i0_err": np.exp(intercept) * np.sqrt(covariance[0, 0]), "chi2_red": chi2_red}


def guinier_range(q, intensity, sigma, q_min, q_max=0.03):
    """Fit from q_min, set Q_max = 1.3 / Rg, refit, until the set of points stops changing."""
    for iteration in range(1, 21):
        use = (q >= q_min) & (q <= q_max)
        fit = guinier_fit(q[use], intensity[use], sigma[use])
        q_max = QRG_LIMIT / fit["rg"]
        if np.array_equal(use, (q >= q_min) & (q <= q_max)):
            return use, fit, iteration
    raise RuntimeError("the Guinier range did not settle")


# A check against something known: an exact Guinier curve with Rg = 60 Å and 1 % errors gives back 60 Å.
q_test = np.linspace(0.005, 0.05, 40)
test_use, test_fit, _ = guinier_range(q_test, 50 * np.exp(-((q_test * 60) ** 2) / 3), 0.5 * np.ones(40), 0.005)
print(f"synthetic curve: Rg = {test_fit['rg']:.3f} Å from {test_use.sum()} points, I(0) = {test_fit['i0']:.3f}")
''',
    # Fit
    """# Step 4 - choose Q_min, then fit. The lowest-Q points sit right next to the beam stop, where its edge,
# parasitic scattering or a few large aggregates show up as an upturn (a shadow of the stop as a drop). Test
# the first point: fit the Guinier range without it and see how many σ it lies off that line, and drop it
# if more than 2.5σ (then test the next one the same way). Then iterate the range, Q_max = 1.3 / Rg.
OUTLIER_SIGMAS = 2.5

guinier = {}
for name, (q, intensity, sigma, _q_dev) in curves.items():
    first = 0
    while first < 3:  # never more than three points
        use, fit, _ = guinier_range(q, intensity, sigma, q[first + 1])
        line = np.log(fit["i0"]) - (q[first] * fit["rg"]) ** 2 / 3
        off = (np.log(intensity[first]) - line) / (sigma[first] / intensity[first])
        print(f"{name}: the point at Q = {q[first]:.4f} Å⁻¹ lies {off:+.1f}σ off the line through the others")
        if abs(off) <= OUTLIER_SIGMAS:
            break
        first += 1
    use, fit, iterations = guinier_range(q, intensity, sigma, q[first])
    fit.update(use=use, q_min=q[use].min(), q_max=q[use].max(), n_points=int(use.sum()), iterations=iterations,
               dropped=first)
    guinier[name] = fit
    print(f"{name}: Rg = {fit['rg']:.1f} ± {fit['rg_err']:.1f} Å, I(0) = {fit['i0']:.1f} ± {fit['i0_err']:.1f} cm⁻¹, "
          f"{fit['n_points']} points, Q {fit['q_min']:.4f} to {fit['q_max']:.4f} Å⁻¹ "
          f"(Q·Rg {fit['q_min'] * fit['rg']:.2f} to {fit['q_max'] * fit['rg']:.2f}), χ²_red = {fit['chi2_red']:.2f}, "
          f"{iterations} iterations")

# With Rg ≈ 74 Å only about five points of TK49 fall in Q·Rg ≤ 1.3, starting at Q·Rg ≈ 0.7: the smallest Q
# of the instrument, not the counting statistics, limits this measurement. How much does the choice of Q_min
# matter? Start one and two points later and compare with the statistical uncertainty.
for name, (q, intensity, sigma, _q_dev) in curves.items():
    start = guinier[name]["dropped"]
    moved = [guinier_range(q, intensity, sigma, q[start + k])[1]["rg"] for k in (1, 2)]
    guinier[name]["rg_q_min_moved"] = moved
    print(f"{name}: Q_min one and two points later gives Rg = {moved[0]:.1f} and {moved[1]:.1f} Å "
          f"(statistical σ {guinier[name]['rg_err']:.1f} Å)")
# For TK49 the range choice moves Rg by more than its error bar: quote the range with the result.
""",
    # Look at the fit
    """# Step 5 - the Guinier plots with the fitted lines, and the residuals in units of σ. The dotted lines mark
# Q·Rg = 1.3; beyond it the data rise above the line, which is the coil's shape showing (next step).
fig, (ax_fit, ax_res) = plt.subplots(2, 1, figsize=(6.5, 6), sharex=True, height_ratios=(3, 1))
for name, (q, intensity, sigma, _q_dev) in curves.items():
    fit = guinier[name]
    shown = q <= 2.0 * fit["q_max"]
    ax_fit.errorbar(q[shown] ** 2, np.log(intensity[shown]), sigma[shown] / intensity[shown], fmt=".", label=name)
    line = np.log(fit["i0"]) - (q[shown] * fit["rg"]) ** 2 / 3
    ax_fit.plot(q[shown] ** 2, line, color="black", linewidth=1)
    ax_fit.axvline((QRG_LIMIT / fit["rg"]) ** 2, color="grey", linestyle=":")
    ax_res.plot(q[shown] ** 2, (np.log(intensity[shown]) - line) / (sigma[shown] / intensity[shown]), "o-",
                markersize=3, label=name)
ax_fit.set(ylabel="ln I")
ax_res.set(xlabel="Q$^2$ (Å$^{-2}$)", ylabel="(data - line) / σ")
ax_res.axhline(0, color="black", linewidth=0.5)
ax_fit.legend()
plt.show()
""",
    # Compare with the Debye function
    """# Step 6 - compare with the Debye function. A chain in a polymer melt is a Gaussian coil, whose scattering
# over the whole Q range is the Debye function (plus a flat background B),
#     I(Q) = I(0) · 2 (e⁻ˣ - 1 + x) / x² + B,   x = (Q Rg)².
# Its expansion 1 - x/3 + x²/12 falls more slowly than Guinier's e^(-x/3) = 1 - x/3 + x²/18, so a Guinier fit
# up to Q·Rg = 1.3 of a coil comes out a few per cent low. Check: fit the Debye function to the whole curve,
# then put the fitted Debye curve through exactly the same Guinier fit as the data.
from scipy.optimize import curve_fit


def debye(q, i0, rg, background):
    x = (q * rg) ** 2
    return i0 * 2 * (np.expm1(-x) + x) / x**2 + background


debye_fits = {}
for name, (q, intensity, sigma, q_dev) in curves.items():
    fit = guinier[name]
    popt, pcov = curve_fit(debye, q, intensity, p0=(fit["i0"], fit["rg"], 0.1), sigma=sigma, absolute_sigma=True)
    chi2_red = np.sum(((debye(q, *popt) - intensity) / sigma) ** 2) / (len(q) - 3)
    perr = np.sqrt(np.diag(pcov) * max(chi2_red, 1.0))
    use = fit["use"]
    expected = guinier_fit(q[use], debye(q[use], *popt), sigma[use])["rg"]
    # Resolution: a Gaussian spread σ_Q turns exp(-aQ²) into exp(-aQ²/(1 + 2aσ_Q²)) with a = Rg²/3 (1D estimate),
    # so the apparent Rg shrinks by 1/√(1 + 2aσ_Q²) at most, taking the largest Qdev in the range.
    if q_dev[use].any():
        shrink = 1 / np.sqrt(1 + 2 * fit["rg"] ** 2 / 3 * np.max(q_dev[use]) ** 2) - 1
        resolution = f"Resolution lowers the apparent Rg by at most {-shrink:.2%}."
    else:
        resolution = "The file records no Q resolution."
    debye_fits[name] = {"rg": popt[1], "rg_err": perr[1], "i0": popt[0], "i0_err": perr[0],
                        "background": popt[2], "chi2_red": chi2_red, "guinier_expected": expected}
    print(f"{name}: Debye Rg = {popt[1]:.1f} ± {perr[1]:.1f} Å, I(0) = {popt[0]:.1f} ± {perr[0]:.1f} cm⁻¹, "
          f"B = {popt[2]:.3f} cm⁻¹, χ²_red = {chi2_red:.2f} over {len(q)} points")
    print(f"      the Guinier fit of that Debye curve gives {expected:.1f} Å ({expected / popt[1] - 1:+.1%}); "
          f"the data gave {fit['rg']:.1f} Å. {resolution}")

fig, ax = plt.subplots(figsize=(6.5, 4))
for name, (q, intensity, sigma, _q_dev) in curves.items():
    ax.errorbar(q, intensity, sigma, fmt=".", markersize=3, label=name)
    ax.plot(q, debye(q, *(debye_fits[name][k] for k in ("i0", "rg", "background"))), color="black", linewidth=1)
ax.set(xscale="log", yscale="log", xlabel="Q (Å$^{-1}$)", ylabel="I (cm$^{-1}$)", title="Debye function fits")
ax.legend()
plt.show()
""",
    # Two molar masses
    """# Step 7 - two molar masses. A Gaussian coil of N segments has Rg² ∝ N, so Rg ∝ Mw^0.5: the ratio of the two
# radii should be the square root of the ratio of the molar masses. At nearly the same d/h composition,
# I(0) ∝ φ(1 - φ) N (the random-phase approximation with no d/h interaction) grows like Mw itself.
mw_ratio = BLENDS["TK49"]["mw"] / BLENDS["RT2"]["mw"]


def ratio(fits, key="rg"):
    big, small = fits["TK49"], fits["RT2"]
    value = big[key] / small[key]
    return value, value * np.hypot(big[key + "_err"] / big[key], small[key + "_err"] / small[key])


rg_ratio, rg_ratio_err = ratio(guinier)
debye_ratio, debye_ratio_err = ratio(debye_fits)
i0_ratio, i0_ratio_err = ratio(guinier, "i0")
documented_ratio = BLENDS["TK49"]["rg_documented"] / BLENDS["RT2"]["rg_documented"]
nu, nu_err = np.log(rg_ratio) / np.log(mw_ratio), rg_ratio_err / rg_ratio / np.log(mw_ratio)
print(f"Mw ratio {mw_ratio:.3f}, so a Gaussian coil predicts Rg(TK49) / Rg(RT2) = √{mw_ratio:.3f} = "
      f"{np.sqrt(mw_ratio):.3f}")
print(f"Guinier: {rg_ratio:.3f} ± {rg_ratio_err:.3f}; Debye: {debye_ratio:.3f} ± {debye_ratio_err:.3f}; "
      f"documented Rg: {documented_ratio:.3f}")
print(f"Rg ∝ Mw^ν from the two Guinier radii: ν = {nu:.2f} ± {nu_err:.2f} (Gaussian coil: 0.5)")
print(f"I(0) ratio {i0_ratio:.3f} ± {i0_ratio_err:.3f} against the Mw ratio {mw_ratio:.3f}")
# The larger chains are the larger coils, but the radii grow faster than √Mw, and the documented values do
# too. Two molar masses only 1.4 apart make a weak lever arm for ν; the Mw are nominal, the two samples were
# measured five years apart and reduced with different Mantid versions and masks; and a small positive
# d/h interaction parameter χ makes the apparent Rg of a blend grow a little faster than √N. The Debye fits,
# which use the whole curve, come closer to √Mw than the Guinier fits: TK49's few lowest points lie above
# its Debye curve (step 6), which steepens its Guinier line.
""",
    # Report
    """# Step 8 - report.
results = {"model": "Guinier, ln I against Q²", "qrg_limit": QRG_LIMIT, "mw_ratio": round(mw_ratio, 4),
           "sqrt_mw_ratio": round(float(np.sqrt(mw_ratio)), 4), "rg_ratio": round(rg_ratio, 4),
           "rg_ratio_err": round(rg_ratio_err, 4), "debye_rg_ratio": round(debye_ratio, 4),
           "debye_rg_ratio_err": round(debye_ratio_err, 4), "i0_ratio": round(i0_ratio, 4),
           "i0_ratio_err": round(i0_ratio_err, 4), "nu": round(nu, 3), "nu_err": round(nu_err, 3)}
for name in BLENDS:
    fit, coil = guinier[name], debye_fits[name]
    results[name] = {
        "mw": BLENDS[name]["mw"], "rg_A": round(fit["rg"], 2), "rg_err_A": round(fit["rg_err"], 2),
        "i0": round(fit["i0"], 3), "i0_err": round(fit["i0_err"], 3), "q_min": round(fit["q_min"], 5),
        "q_max": round(fit["q_max"], 5), "qrg_min": round(fit["q_min"] * fit["rg"], 3),
        "qrg_max": round(fit["q_max"] * fit["rg"], 3), "n_points": fit["n_points"], "dropped": fit["dropped"],
        "chi2_red": round(fit["chi2_red"], 3), "iterations": fit["iterations"],
        "debye_rg_A": round(coil["rg"], 2), "debye_rg_err_A": round(coil["rg_err"], 2),
        "debye_i0": round(coil["i0"], 3), "debye_background": round(coil["background"], 4),
        "debye_chi2_red": round(coil["chi2_red"], 3), "guinier_of_debye_rg_A": round(coil["guinier_expected"], 2),
        "rg_q_min_moved_A": [round(value, 2) for value in fit["rg_q_min_moved"]],
    }
print(json.dumps(results))
""",
)

GUINIER = Analysis(
    slug="isis-loq-guinier-polymer-blends",
    title="Radius of gyration of polymer chains: a Guinier analysis of SANS from ISIS",
    intro=(
        "SANS curves of two blends of deuterated and hydrogenous polystyrene of different molar mass, "
        "measured on LOQ at ISIS and stored as canSAS 1D XML. We read them with the standard library's XML "
        "parser, choose a Guinier range that is free of low-Q artefacts and self-consistent (Q·Rg ≤ 1.3), fit "
        "ln I against Q² with weights to get the radius of gyration Rg and I(0) with their uncertainties, "
        "compare with the Debye function of a Gaussian coil over the whole curve, and check how Rg scales "
        "with the molar mass."
    ),
    datasets=("isis-loq-polystyrene-blends",),
    cells=_GUINIER_CELLS,
)


# --- 3. SANS: when the Guinier law fails, the thickness of sheets (ISIS SANS2D) ---------------

_SHEET_CELLS = (
    # Load
    """# Step 1 - read the NXcanSAS file. NXcanSAS is HDF5: a SASentry group holds a SASdata group with Q, I and
# its uncertainty Idev; every group says what it is in its NX_class attribute and the units are attributes too.
import json

import numpy as np
import panlearn_data as data


def first_of_class(group, nx_class):
    return next(item for item in group.values() if item.attrs.get("NX_class") == nx_class)


with data.open_hdf5("isis-sans2d-oriented-surfactant", "33837rear_1D_1.75_16.5_NXcanSAS.h5") as nexus:
    entry = first_of_class(nexus, "SASentry")
    sasdata = first_of_class(entry, "SASdata")
    q, intensity, sigma = (sasdata[name][()].astype(float) for name in ("Q", "I", "Idev"))
    units = {name: sasdata[name].attrs.get("unit") for name in ("Q", "I")}
    print("run", entry["run"][0].decode(), "-", entry["title"][0].decode())
print(f"{len(q)} points, Q from {q.min():.4f} to {q.max():.3f} {units['Q']}, I in '{units['I']}'")
""",
    # Look
    """# Step 2 - look at the whole curve on log-log axes before choosing a model.
# A compact particle gives a flat plateau at low Q that bends down as exp(-Q²Rg²/3) (the Guinier region).
# Here there is a maximum near Q ≈ 0.01 Å⁻¹ instead, below which the points cannot be used (an interference
# peak between neighbouring aggregates, or the edge of the beam stop), then a steady power-law fall, and sharp
# Bragg peaks of the liquid crystal above 0.1 Å⁻¹ on a flat background.
import matplotlib.pyplot as plt

peak = int(np.argmax(intensity))
fall = (q > 1.5 * q[peak]) & (q < 0.04)
exponent = np.polyfit(np.log(q[fall]), np.log(intensity[fall]), 1)[0]
print(f"maximum at Q = {q[peak]:.4f} Å⁻¹; from {q[fall][0]:.4f} to {q[fall][-1]:.4f} Å⁻¹, I ∝ Q^{exponent:.2f}")

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.errorbar(q, intensity, sigma, fmt=".", markersize=4)
ax.plot(q[fall], np.exp(np.polyval(np.polyfit(np.log(q[fall]), np.log(intensity[fall]), 1), np.log(q[fall]))),
        color="black", label=f"$Q^{{{exponent:.2f}}}$")
ax.set(xscale="log", yscale="log", xlabel="Q (Å$^{-1}$)", ylabel=f"I ({units['I']})")
ax.legend()
plt.show()
""",
    # Model, first attempt
    """# Step 3 - first try the ordinary Guinier law, ln I = ln I(0) - Q²Rg²/3, valid while Q·Rg < 1.3.
# Fit a straight line to ln I against Q² over the first points past the maximum, then check the condition.
first = np.flatnonzero(q > 1.25 * q[peak])[:6]
slope, _ = np.polyfit(q[first] ** 2, np.log(intensity[first]), 1, w=intensity[first] / sigma[first])
rg_compact = np.sqrt(-3 * slope)
qrg = q[first[[0, -1]]] * rg_compact
print(f"Rg = {rg_compact:.0f} Å, so these points span Q·Rg = {qrg[0]:.2f} to {qrg[1]:.2f}.")
print("Q·Rg is above 1.3 already at the first usable point: this curve has no Guinier region for a compact")
print("particle. The objects are larger than 1/Q_min in at least one direction.")
""",
    # Model and fit: thickness Guinier
    """# Step 4 - use the Guinier law that fits the shape. I ∝ Q⁻² (step 2) is the signature of thin flat sheets,
# here the surfactant lamellae. Averaged over orientations, a sheet of thickness T scatters as
#     I(Q) = (P / Q²) exp(-Q² Rt²) + B,    with Rt = T / √12,
# the Guinier law for the thickness: Rt is the radius of gyration of the sheet's cross-section, P = Q²I
# extrapolated to Q = 0, and B the flat incoherent background. It holds while Q·Rt < 1.
# Iterate: fit, set Q_max = 1 / Rt, refit, until the set of points stops changing.
from scipy.optimize import curve_fit


def sheet_guinier(q, p, rt, background):
    return p / q**2 * np.exp(-((q * rt) ** 2)) + background


QRT_LIMIT = 1.0
q_min, q_max = q[first[0]], 0.03  # start past the maximum; 0.03 Å⁻¹ is a first guess
converged = False
for iteration in range(10):
    use = (q >= q_min) & (q <= q_max)
    popt, pcov = curve_fit(sheet_guinier, q[use], intensity[use], p0=(3e-3, 20.0, 0.8),
                           sigma=sigma[use], absolute_sigma=True)
    print(f"iteration {iteration}: {use.sum()} points, Q {q_min:.4f} to {q[use].max():.4f} Å⁻¹, Rt = {popt[1]:.2f} Å")
    q_max = QRT_LIMIT / popt[1]
    if np.array_equal(use, (q >= q_min) & (q <= q_max)):
        converged = True
        break
# Note how Rt moves by a few Å as the range changes: the choice of range matters more than the counting
# statistics, so quote the final range with the result.

chi2_red = np.sum(((sheet_guinier(q[use], *popt) - intensity[use]) / sigma[use]) ** 2) / (use.sum() - 3)
# Counting errors alone do not cover everything (e.g. the Guinier approximation itself): if χ²_red > 1,
# inflate the covariance by it.
perr = np.sqrt(np.diag(pcov) * max(chi2_red, 1.0))
(p_0, rt, background), (p_err, rt_err, background_err) = popt, perr
print(f"Rt = {rt:.2f} ± {rt_err:.2f} Å, T = √12 Rt = {np.sqrt(12) * rt:.1f} ± {np.sqrt(12) * rt_err:.1f} Å, "
      f"B = {background:.3f} ± {background_err:.3f}, χ²_red = {chi2_red:.2f}")
""",
    # Look at the fit
    """# Step 5 - the Guinier plot: with the background removed, ln[Q²(I - B)] against Q² is a straight line of
# slope -Rt² over the fitted range, and bends away from it beyond Q·Rt ≈ 1.
shown = (q >= q_min) & (q <= 2.5 * q_max) & (intensity > background)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.errorbar(q[shown] ** 2, np.log(q[shown] ** 2 * (intensity[shown] - background)),
            sigma[shown] / (intensity[shown] - background), fmt=".", color="grey", label="data")
ax.plot(q[use] ** 2, np.log(q[use] ** 2 * (intensity[use] - background)), "o", label="fitted range")
line = shown & (q <= 1.5 * q_max)
ax.plot(q[line] ** 2, np.log(p_0) - q[line] ** 2 * rt**2, color="black", label=f"Rt = {rt:.1f} Å")
ax.axvline((QRT_LIMIT / rt) ** 2, color="grey", linestyle=":")
ax.set(xlabel="Q$^2$ (Å$^{-2}$)", ylabel="ln[Q$^2$(I - B)]")
ax.legend()
plt.show()
""",
    # Report
    """# Step 6 - report.
results = {
    "model": "sheet (thickness) Guinier",
    "rt_A": round(rt, 3), "rt_err_A": round(rt_err, 3),
    "thickness_A": round(np.sqrt(12) * rt, 2), "thickness_err_A": round(np.sqrt(12) * rt_err, 2),
    "q2i0": round(p_0, 7), "q2i0_err": round(p_err, 7),
    "background": round(background, 4), "background_err": round(background_err, 4),
    "q_min": round(q[use].min(), 6), "q_max": round(q[use].max(), 6), "n_points": int(use.sum()),
    "qrt_min": round(q[use].min() * rt, 3), "qrt_max": round(q[use].max() * rt, 3),
    "chi2_red": round(chi2_red, 3), "converged": converged, "power_law_exponent": round(exponent, 3),
    "q_peak": round(q[peak], 5), "compact_guinier_rg_A": round(rg_compact, 1),
    "compact_guinier_qrg_min": round(qrg[0], 3),
}
print(json.dumps(results))
""",
)

SHEET = Analysis(
    slug="isis-sans2d-sheet-thickness",
    title="When the Guinier law fails: the thickness of sheets from a SANS curve from ISIS",
    intro=(
        "A radially averaged SANS curve of a magnetically oriented surfactant liquid crystal, measured on "
        "SANS2D at ISIS and stored as NXcanSAS. We read it with h5py, look at it on log-log axes, find that "
        "the textbook Guinier law for compact particles does not apply, recognise the Q⁻² fall of thin "
        "sheets and use the Guinier law for the thickness instead: a fit over a self-consistent Q range "
        "gives the thickness radius of gyration Rt with its uncertainty, and the sheet thickness."
    ),
    datasets=("isis-sans2d-oriented-surfactant",),
    cells=_SHEET_CELLS,
)


# --- 4. Inelastic scattering: chopper.nxs from time of flight to energy transfer --------------

_CHOPPER_CELLS = (
    # Load: walk the tree
    """# Step 1 - walk the NeXus tree. A NeXus file is HDF5; every group names what it is in its NX_class attribute
# (NXentry, NXinstrument, NXdetector, NXmonitor ...) and the datasets carry their units as attributes.
import json

import h5py
import numpy as np
import panlearn_data as data


def text(value):
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    return value.decode() if isinstance(value, bytes) else str(value)


def show(name, item):
    indent = "  " * name.count("/")
    label = name.rsplit("/", 1)[-1]
    if isinstance(item, h5py.Group):
        print(f"{indent}{label}/  [{text(item.attrs.get('NX_class', ''))}]")
    else:
        units = text(item.attrs.get("units", ""))
        value = text(item[()]) if item.size == 1 else f"array {item.shape}"
        print(f"{indent}{label} = {value} {units}")


with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
    nexus.visititems(show)
""",
    # Load: the numbers
    """# Step 2 - read what the conversion needs. Distances are along the beam and measured from the sample:
# negative upstream (source, chopper, monitor 1), positive downstream (detectors, monitor 2).
# Times of flight are in µs on the instrument's clock, which started at the source pulse.
with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
    entry = nexus["entry"]
    instrument = entry["instrument"]
    title = text(entry["title"][()])
    ei_file = float(instrument["monochromator/energy"][0])  # meV, marked "Nominal"
    z_source = float(instrument["source/distance"][0])  # m
    l2 = instrument["detector/distance"][()].astype(float)  # m, sample to each detector
    two_theta = entry["data/polar_angle"][()].astype(float)  # degrees, one per detector
    tof_edges = entry["data/time_of_flight"][()].astype(float)  # µs, bin edges
    counts = entry["data/data"][()].astype(float)  # detectors x time bins
    monitors = [  # (distance m, time-of-flight bin edges µs, counts) of each beam monitor
        (float(entry[m]["distance"][0]), entry[m]["time_of_flight"][()].astype(float), entry[m]["data"][()])
        for m in ("monitor1", "monitor2")
    ]
working = counts.sum(axis=1) > 0
print(title)
print(f"{counts.shape[0]} detectors ({(~working).sum()} recorded nothing) at 2θ = {two_theta.min():.1f}° to "
      f"{two_theta.max():.1f}°, L2 = {l2.min():.4f} to {l2.max():.4f} m")
print(f"{counts.shape[1]} time bins of {np.diff(tof_edges)[0]:.1f} µs, {tof_edges[0]:.0f} to {tof_edges[-1]:.0f} µs")
print(f"source at {z_source:.4f} m, monitors at {monitors[0][0]:.4f} m and {monitors[1][0]:.4f} m; "
      f"nominal E_i {ei_file} meV")
""",
    # Model: the incident energy
    '''# Step 3 - the incident energy, measured. The Fermi chopper passes one neutron speed, and the pulse it lets
# through crosses both monitors. Its speed is v_i = (z2 - z1) / (t2 - t1), which needs no knowledge of when
# the clock started, and E_i = m_n v_i² / 2.
M_N = 1.67492750e-27  # kg, neutron mass (CODATA 2018)
MEV = 1.602176634e-22  # J in one meV
HBAR = 1.054571817e-34  # J s


def peak_time(edges, y):
    """Centroid (µs) of the strongest peak, above the median level."""
    centres = 0.5 * (edges[1:] + edges[:-1])
    y = y - np.median(y)
    top = int(np.argmax(y))
    window = slice(max(top - 10, 0), top + 11)
    return np.sum(centres[window] * y[window]) / np.sum(y[window])


(z1, edges1, counts1), (z2, edges2, counts2) = monitors
t1, t2 = peak_time(edges1, counts1), peak_time(edges2, counts2)
v_i = (z2 - z1) / ((t2 - t1) * 1e-6)  # m/s
e_i = 0.5 * M_N * v_i**2 / MEV  # meV
k_i = M_N * v_i / HBAR * 1e-10  # Å⁻¹
t_sample = t1 - z1 / v_i * 1e6  # µs: when the pulse crosses the sample, z = 0
t_offset = t1 - (z1 - z_source) / v_i * 1e6  # µs: clock time of the pulse leaving the moderator
print(f"monitor peaks at {t1:.1f} µs and {t2:.1f} µs: v_i = {v_i:.0f} m/s, E_i = {e_i:.2f} meV "
      f"(file: {ei_file} meV nominal), λ_i = {2 * np.pi / k_i:.3f} Å")
print(f"the pulse crosses the sample at t = {t_sample:.1f} µs; the clock is offset by {t_offset:.1f} µs")
''',
    # Model: the conversion
    """# Step 4 - time of flight to energy transfer, detector by detector. A neutron counted at time t spent
# t - t_sample flying the distance L2 from the sample to its detector, so
#     v_f = L2 / (t - t_sample),   E_f = m_n v_f² / 2,   ΔE = E_i - E_f
# (ΔE > 0: the neutron gave energy to the sample). A time bin of width Δt covers |dE/dt| Δt in energy, with
# |dE/dt| = m_n L2² / t³ = 2 E_f / t, so counts per meV = counts per bin / (energy width of the bin).
def energy_transfer(t_us):
    flight = (t_us - t_sample) * 1e-6  # s, sample to detector
    return e_i - 0.5 * M_N * (l2[:, None] / flight) ** 2 / MEV


t_centres = 0.5 * (tof_edges[1:] + tof_edges[:-1])
delta_e = energy_transfer(t_centres)  # meV, detectors x bins
bin_width = np.abs(np.diff(energy_transfer(tof_edges), axis=1))  # meV
per_mev = counts / bin_width
print(f"ΔE runs from {delta_e.min():.1f} meV (neutron energy gain) to {delta_e.max():.1f} meV (loss)")
print(f"a 2 µs bin is {bin_width[:, 0].mean():.2f} meV wide at the start, {bin_width[:, -1].mean():.3f} meV at the end")

# Sum the working detectors on a common energy grid (each curve is interpolated on it).
grid = np.arange(-90.0, 120.5, 0.5)
spectrum = np.zeros_like(grid)
for d in np.flatnonzero(working):
    order = np.argsort(delta_e[d])
    spectrum += np.interp(grid, delta_e[d][order], per_mev[d][order], left=0.0, right=0.0)
""",
    # Fit: the elastic line
    """# Step 5 - check the conversion on the elastic line. Neutrons scattered without energy change must land at
# ΔE = 0. Fit a Gaussian on a flat level to the strongest peak: its centre tests the geometry and E_i,
# its width is the instrument's energy resolution.
from scipy.optimize import curve_fit


def gaussian(x, height, centre, width, level):
    return height * np.exp(-0.5 * ((x - centre) / width) ** 2) + level


top = int(np.argmax(spectrum))
near = np.abs(grid - grid[top]) < 10
popt, pcov = curve_fit(gaussian, grid[near], spectrum[near], p0=(spectrum[top], grid[top], 2.0, 0.0))
elastic, elastic_err = popt[1], np.sqrt(pcov[1, 1])
fwhm = 2 * np.sqrt(2 * np.log(2)) * abs(popt[2])
# At 8 K, k_B T = 0.7 meV: the sample can hardly give energy to the neutrons, so the energy-gain side
# (ΔE < 0) should be nearly empty while phonons fill the energy-loss side (detailed balance).
loss = spectrum[(grid > 20) & (grid < 100)].sum()
gain = spectrum[(grid < -20) & (grid > -90)].sum()
# Momentum transfer of the elastic line, Q = 2 k_i sin(θ), over the detector bank.
q_elastic = 2 * k_i * np.sin(np.radians(np.abs(two_theta[working])) / 2)
print(f"elastic line at ΔE = {elastic:.2f} ± {elastic_err:.2f} meV, FWHM {fwhm:.1f} meV ({fwhm / e_i:.1%} of E_i)")
print(f"counts with 20 < ΔE < 100 meV vs -90 < ΔE < -20 meV: {loss / gain:.0f} to 1")
print(f"elastic Q from {q_elastic.min():.2f} to {q_elastic.max():.2f} Å⁻¹")
""",
    # Look
    """# Step 6 - look: the map of counts per meV against angle and energy transfer, and the summed spectrum.
# MgB2's phonons appear as the bands between about 20 and 100 meV on the energy-loss side.
import matplotlib.pyplot as plt

fig, (ax_map, ax_sum) = plt.subplots(1, 2, figsize=(11, 4))
rows = np.flatnonzero(working)
image = np.array([np.interp(grid, delta_e[d], per_mev[d], left=np.nan, right=np.nan) for d in rows])
ax_map.pcolormesh(grid, two_theta[rows], np.log10(np.clip(image, 1, None)), shading="nearest")
ax_map.set(xlabel="ΔE (meV)", ylabel="2θ (degrees)", title="log$_{10}$ counts per meV")
ax_sum.plot(grid, spectrum, color="black")
ax_sum.plot(grid, gaussian(grid, *popt), color="tab:orange", linestyle="--", label="elastic line")
ax_sum.set(yscale="log", xlabel="ΔE (meV)", ylabel="counts per meV, all detectors")
ax_sum.legend()
plt.show()
""",
    # Report
    """# Step 7 - report.
results = {
    "ei_meV": round(e_i, 3), "ei_file_meV": ei_file, "v_i_m_per_s": round(v_i, 1),
    "t_sample_us": round(t_sample, 2), "clock_offset_us": round(t_offset, 2),
    "de_min_meV": round(float(delta_e.min()), 2), "de_max_meV": round(float(delta_e.max()), 2),
    "elastic_meV": round(elastic, 3), "elastic_err_meV": round(elastic_err, 3), "elastic_fwhm_meV": round(fwhm, 2),
    "loss_to_gain": round(loss / gain, 2), "q_elastic_min": round(q_elastic.min(), 3),
    "q_elastic_max": round(q_elastic.max(), 3), "detectors": int(counts.shape[0]), "working": int(working.sum()),
    "two_theta_min": round(float(two_theta.min()), 2), "two_theta_max": round(float(two_theta.max()), 2),
    "l2_min_m": round(float(l2.min()), 4), "l2_max_m": round(float(l2.max()), 4),
}
print(json.dumps(results))
""",
)

CHOPPER = Analysis(
    slug="ipns-lrmecs-tof-to-energy",
    title="From time of flight to energy transfer on a chopper spectrometer",
    intro=(
        "Raw counts of MgB2 powder at 8 K from the LRMECS Fermi-chopper spectrometer at IPNS, in a NeXus "
        "file. We walk the file's tree, measure the incident energy from the two beam monitors, convert each "
        "detector's time of flight into energy transfer ΔE = E_i - E_f with the Jacobian that turns counts "
        "per microsecond into counts per meV, and check the result on the elastic line, the resolution and "
        "detailed balance."
    ),
    datasets=("ipns-lrmecs-mgb2",),
    cells=_CHOPPER_CELLS,
)


ANALYSES: tuple[Analysis, ...] = (REFLECTOMETRY, GUINIER, SHEET, CHOPPER)


def analysis(slug: str) -> Analysis:
    """The analysis with this slug (KeyError if there is none)."""
    for item in ANALYSES:
        if item.slug == slug:
            return item
    raise KeyError(slug)
