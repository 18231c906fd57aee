"""The demo's graded code exercises, on the bundled facility data of the data course.

Pure data, like `analyses.py`: load_demo_content makes each one through the services a trainer's
admin form uses (an Exercise, its tests, a validation run of the reference solution), and places it
in the lesson named by `lesson`, after that lesson's live cells. Tests see the student's names as
data; hidden tests compute their reference from the same file, so a number typed in from the lesson
text does not pass them. Fractions returned by a test are partial credit.

`deadline_days` counts from the day the demo is loaded: a negative one has passed, so its solution
is released in the lesson (and, locked, it takes no more submissions).
"""

GUINIER = {
    "title": "Guinier radius of a polystyrene blend (ISIS LOQ)",
    "lesson": "isis-loq-guinier-polymer-blends",
    "datasets": ("isis-loq-polystyrene-blends",),
    "prompt": (
        "Write guinier_fit(q, intensity, sigma) that fits ln I = ln I(0) − Rg²Q²/3 by weighted least squares "
        "(the standard deviation of ln I is σ/I) to the points with Q·Rg ≤ 1.3, and returns (rg, i0) in Å and "
        "cm⁻¹. Start from the points with Q < 0.02 Å⁻¹ and refit until the set of points no longer changes. "
        "Then set rg_tk49 and i0_tk49 from the TK49 blend (ISIS_Polymer_Blend_TK49.xml)."
    ),
    "starter_code": """import numpy as np
import xml.etree.ElementTree as ET
import panlearn_data as data

NS = {"cs": "urn:cansas1d:1.1"}


def read_cansas(name):
    points = ET.parse(data.path("isis-loq-polystyrene-blends", name)).getroot().findall(
        "cs:SASentry/cs:SASdata/cs:Idata", NS)
    return [np.array([float(p.findtext(f"cs:{c}", namespaces=NS)) for p in points]) for c in ("Q", "I", "Idev")]


def guinier_fit(q, intensity, sigma):
    ...  # return rg, i0


q, intensity, sigma = read_cansas("ISIS_Polymer_Blend_TK49.xml")
rg_tk49, i0_tk49 = None, None
""",
    "solution_code": """import numpy as np
import xml.etree.ElementTree as ET
import panlearn_data as data

NS = {"cs": "urn:cansas1d:1.1"}


def read_cansas(name):
    points = ET.parse(data.path("isis-loq-polystyrene-blends", name)).getroot().findall(
        "cs:SASentry/cs:SASdata/cs:Idata", NS)
    return [np.array([float(p.findtext(f"cs:{c}", namespaces=NS)) for p in points]) for c in ("Q", "I", "Idev")]


def guinier_fit(q, intensity, sigma):
    q, intensity, sigma = (np.asarray(a, dtype=float) for a in (q, intensity, sigma))
    good = (intensity > 0) & (sigma > 0)
    used = good & (q < 0.02)
    for _ in range(50):
        weight = intensity[used] / sigma[used]
        design = np.column_stack([np.ones(used.sum()), q[used] ** 2]) * weight[:, None]
        (ln_i0, slope), *_ = np.linalg.lstsq(design, np.log(intensity[used]) * weight, rcond=None)
        rg = float(np.sqrt(-3 * slope))
        again = good & (q * rg <= 1.3)
        if np.array_equal(again, used):
            break
        used = again
    return rg, float(np.exp(ln_i0))


q, intensity, sigma = read_cansas("ISIS_Polymer_Blend_TK49.xml")
rg_tk49, i0_tk49 = guinier_fit(q, intensity, sigma)
print(f"TK49: Rg = {rg_tk49:.1f} Å, I(0) = {i0_tk49:.1f} cm⁻¹")
""",
    "tests": (
        {
            "name": "test_exact_guinier_curve",
            "points": 2,
            "source": '''def test_exact_guinier_curve():
    """On an exact Guinier curve with Rg = 50 Å and I(0) = 20 cm⁻¹ the fit must find both."""
    import numpy as np
    q = np.linspace(0.005, 0.08, 60)
    intensity = 20 * np.exp(-(q * 50) ** 2 / 3)
    rg, i0 = guinier_fit(q, intensity, 0.02 * intensity)
    assert abs(rg - 50) < 0.5, f"Rg = {rg:.2f} Å on a curve made with 50 Å"
    assert abs(i0 - 20) < 0.2, f"I(0) = {i0:.2f} on a curve made with 20"
''',
        },
        {
            "name": "test_tk49_is_a_polymer_coil",
            "points": 1,
            "source": '''def test_tk49_is_a_polymer_coil():
    """TK49's documented Rg is about 74 Å (Mw 77,500 g/mol)."""
    assert rg_tk49 is not None and i0_tk49 is not None, "set rg_tk49 and i0_tk49"
    assert 55 < rg_tk49 < 95, f"rg_tk49 = {rg_tk49:.1f} Å is far from a coil of this size"
''',
        },
        {
            "name": "test_tk49_matches_the_weighted_fit",
            "points": 3,
            "hidden": True,
            "source": '''def test_tk49_matches_the_weighted_fit():
    """Full credit within 2 % of the weighted Guinier fit with Q·Rg ≤ 1.3; half within 10 %."""
    import numpy as np
    import xml.etree.ElementTree as ET
    import panlearn_data as data
    ns = {"cs": "urn:cansas1d:1.1"}
    points = ET.parse(data.path("isis-loq-polystyrene-blends", "ISIS_Polymer_Blend_TK49.xml")).getroot().findall(
        "cs:SASentry/cs:SASdata/cs:Idata", ns)
    q, i, s = (np.array([float(p.findtext(f"cs:{c}", namespaces=ns)) for p in points]) for c in ("Q", "I", "Idev"))
    used = (i > 0) & (q < 0.02)
    for _ in range(50):
        w = i[used] / s[used]
        (a, b), *_ = np.linalg.lstsq(np.column_stack([np.ones(used.sum()), q[used] ** 2]) * w[:, None],
                                     np.log(i[used]) * w, rcond=None)
        rg = np.sqrt(-3 * b)
        again = (i > 0) & (q * rg <= 1.3)
        if np.array_equal(again, used):
            break
        used = again
    off = abs(rg_tk49 / rg - 1)
    assert off < 0.10, f"Rg is {100 * off:.0f} % away from the weighted fit"
    return 1.0 if off < 0.02 else 0.5
''',
        },
        {
            "name": "test_i0_of_tk49",
            "points": 1,
            "hidden": True,
            "source": '''def test_i0_of_tk49():
    """I(0) is the extrapolated intensity at Q = 0: close to the first points, and above them."""
    assert 60 < i0_tk49 < 90, f"i0_tk49 = {i0_tk49:.1f} cm⁻¹"
''',
        },
    ),
    "policy": {"max_attempts": 5, "decay_per_attempt": "0.1", "min_factor": "0.5", "deadline_days": 60},
}

CRITICAL_EDGE = {
    "title": "Critical edge of a Platypus reflectivity curve in D2O",
    "lesson": "platypus-dmpc-bilayer-slab-fit",
    "datasets": ("platypus-dmpc-bilayer",),
    "prompt": (
        "Below the critical edge Q_c = √(16πΔρ) neutrons are totally reflected (R = 1). Write "
        "critical_edge(q, r) that returns the Q at which R first falls below 0.5, interpolated linearly "
        "between the two points around the crossing. Set qc_measured from the D2O curve (c_PLP0016596.dat) "
        "and qc_theory from the SLDs of D2O (6.36) and silicon (2.07), both in 10⁻⁶ Å⁻²; then sld_d2o_measured, "
        "the SLD of the water that the measured edge implies, in 10⁻⁶ Å⁻²."
    ),
    "starter_code": """import numpy as np
import panlearn_data as data

q, r, dr, dq = data.load("platypus-dmpc-bilayer", "c_PLP0016596.dat").T


def critical_edge(q, r):
    ...


qc_measured = None
qc_theory = None
sld_d2o_measured = None
""",
    "solution_code": """import numpy as np
import panlearn_data as data

q, r, dr, dq = data.load("platypus-dmpc-bilayer", "c_PLP0016596.dat").T


def critical_edge(q, r):
    q, r = np.asarray(q, dtype=float), np.asarray(r, dtype=float)
    k = int(np.argmax(r < 0.5))  # the first point below one half
    return float(q[k - 1] + (0.5 - r[k - 1]) * (q[k] - q[k - 1]) / (r[k] - r[k - 1]))


qc_measured = critical_edge(q, r)
qc_theory = float(np.sqrt(16 * np.pi * (6.36 - 2.07) * 1e-6))
sld_d2o_measured = qc_measured**2 / (16 * np.pi) * 1e6 + 2.07
print(f"Q_c measured {qc_measured:.5f} Å⁻¹, expected {qc_theory:.5f} Å⁻¹; D2O SLD {sld_d2o_measured:.2f}")
""",
    "tests": (
        {
            "name": "test_edge_of_a_step",
            "points": 1,
            "source": '''def test_edge_of_a_step():
    """A curve falling from 1 to 0 between 0.010 and 0.012 Å⁻¹ crosses one half at 0.011."""
    import numpy as np
    q = np.array([0.006, 0.008, 0.010, 0.012, 0.014])
    r = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    assert abs(critical_edge(q, r) - 0.011) < 1e-9, critical_edge(q, r)
''',
        },
        {
            "name": "test_theory",
            "points": 1,
            "source": """def test_theory():
    assert qc_theory is not None, "set qc_theory"
    assert abs(qc_theory - 0.014685) < 2e-5, f"qc_theory = {qc_theory:.6f} Å⁻¹: check the units of Δρ"
""",
        },
        {
            "name": "test_measured_edge",
            "points": 2,
            "hidden": True,
            "source": '''def test_measured_edge():
    """The crossing of R = 0.5 in the D2O file itself; half credit for the right point without interpolation."""
    import numpy as np
    import panlearn_data as data
    q, r, _dr, _dq = data.load("platypus-dmpc-bilayer", "c_PLP0016596.dat").T
    k = int(np.argmax(r < 0.5))
    expected = q[k - 1] + (0.5 - r[k - 1]) * (q[k] - q[k - 1]) / (r[k] - r[k - 1])
    if abs(qc_measured - expected) < 1e-6:
        return 1.0
    assert q[k - 1] - 1e-9 <= qc_measured <= q[k] + 1e-9, f"{qc_measured:.5f} Å⁻¹ is not where R crosses 0.5"
    return 0.5
''',
        },
        {
            "name": "test_sld_from_the_edge",
            "points": 1,
            "hidden": True,
            "source": """def test_sld_from_the_edge():
    expected = qc_measured**2 / (16 * 3.141592653589793) * 1e6 + 2.07
    assert abs(sld_d2o_measured - expected) < 0.01, f"{sld_d2o_measured:.3f}: add silicon's SLD back"
""",
        },
    ),
    "policy": {"max_attempts": 3, "decay_per_attempt": "0.2", "min_factor": "0.4", "deadline_days": 30},
}

ENERGY_TRANSFER = {
    "title": "Energy transfer from time of flight (IPNS LRMECS)",
    "lesson": "ipns-lrmecs-tof-to-energy",
    "datasets": ("ipns-lrmecs-mgb2",),
    "prompt": (
        "Write energy_transfer(tof_us, l1_m, l2_m, ei_mev) returning ΔE = Ei − Ef in meV for neutrons detected "
        "at a time of flight tof_us (µs, counted from the source pulse), with l1_m from the source to the sample "
        "and l2_m from the sample to the detector. It must work on numpy arrays. Use E = m_n v²/2 with "
        "m_n = 1.67492750e-27 kg and 1 meV = 1.602176634e-22 J. Then set de_lrmecs to the energy transfers at "
        "the time-of-flight bin centres of chopper.nxs, for its nominal Ei and the first detector's distance."
    ),
    "starter_code": """import numpy as np
import panlearn_data as data

M_N, MEV = 1.67492750e-27, 1.602176634e-22


def energy_transfer(tof_us, l1_m, l2_m, ei_mev):
    ...


with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
    instrument = nexus["entry/instrument"]
    ei = float(instrument["monochromator/energy"][0])
    l1 = -float(instrument["source/distance"][0])
    l2 = float(instrument["detector/distance"][0])
    edges = nexus["entry/data/time_of_flight"][()].astype(float)
de_lrmecs = None
""",
    "solution_code": """import numpy as np
import panlearn_data as data

M_N, MEV = 1.67492750e-27, 1.602176634e-22


def energy_transfer(tof_us, l1_m, l2_m, ei_mev):
    v_i = np.sqrt(2 * ei_mev * MEV / M_N)
    t_final = np.asarray(tof_us, dtype=float) * 1e-6 - l1_m / v_i
    e_f = 0.5 * M_N * (l2_m / t_final) ** 2 / MEV
    return ei_mev - e_f


with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
    instrument = nexus["entry/instrument"]
    ei = float(instrument["monochromator/energy"][0])
    l1 = -float(instrument["source/distance"][0])
    l2 = float(instrument["detector/distance"][0])
    edges = nexus["entry/data/time_of_flight"][()].astype(float)
de_lrmecs = energy_transfer((edges[:-1] + edges[1:]) / 2, l1, l2, ei)
print(f"Ei {ei} meV, L1 {l1:.3f} m, L2 {l2:.4f} m: ΔE from {de_lrmecs.min():.1f} to {de_lrmecs.max():.1f} meV")
""",
    "tests": (
        {
            "name": "test_elastic_neutrons_transfer_nothing",
            "points": 1,
            "source": '''def test_elastic_neutrons_transfer_nothing():
    """A neutron that keeps its speed arrives after (L1 + L2) / v_i."""
    v_i = (2 * 60 * 1.602176634e-22 / 1.67492750e-27) ** 0.5
    tof = (10.0 + 4.0) / v_i * 1e6
    assert abs(float(energy_transfer(tof, 10.0, 4.0, 60.0))) < 1e-6
''',
        },
        {
            "name": "test_late_neutrons_lost_energy",
            "points": 1,
            "source": '''def test_late_neutrons_lost_energy():
    """Arriving later than elastic means slower: the sample took energy, ΔE > 0."""
    v_i = (2 * 60 * 1.602176634e-22 / 1.67492750e-27) ** 0.5
    tof = (10.0 + 4.0) / v_i * 1e6
    assert float(energy_transfer(tof * 1.1, 10.0, 4.0, 60.0)) > 0
    assert float(energy_transfer(tof * 0.95, 10.0, 4.0, 60.0)) < 0
''',
        },
        {
            "name": "test_lrmecs_bins",
            "points": 3,
            "hidden": True,
            "source": '''def test_lrmecs_bins():
    """Every bin of chopper.nxs within 0.1 % (or 0.01 meV); partial credit for the share that is."""
    import numpy as np
    import panlearn_data as data
    with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
        instrument = nexus["entry/instrument"]
        ei = float(instrument["monochromator/energy"][0])
        l1 = -float(instrument["source/distance"][0])
        l2 = float(instrument["detector/distance"][0])
        edges = nexus["entry/data/time_of_flight"][()].astype(float)
    v_i = np.sqrt(2 * ei * 1.602176634e-22 / 1.67492750e-27)
    e_f = 0.5 * 1.67492750e-27 * (l2 / ((edges[:-1] + edges[1:]) / 2e6 - l1 / v_i)) ** 2 / 1.602176634e-22
    expected = ei - e_f
    got = np.asarray(de_lrmecs, dtype=float)
    assert got.shape == expected.shape, f"{got.shape} values for {expected.shape} bins"
    close = np.abs(got - expected) <= np.maximum(1e-3 * np.abs(expected), 0.01)
    assert close.any(), "no bin matches"
    return float(close.mean())
''',
        },
    ),
    "policy": {"max_attempts": 3, "deadline_days": -7, "late": "lock", "release_solution": "yes"},
}

CODE_EXERCISES = (GUINIER, CRITICAL_EDGE, ENERGY_TRANSFER)
