"""Demo course content, as plain data.

Two courses: a three-lesson introduction to neutron reflectometry and the safety
induction of a fictional facility, with its final quiz and training programme. Lesson
bodies are lists of (block type, value) pairs in the shapes the lesson StreamField
expects; a "figure" value names a key of `demo.material.figures.FIGURES`, an "exercise"
value the key of an exercise the loader creates (`safety-quiz`: SAFETY_QUIZ).
Units: Q in Å⁻¹, SLD in 10⁻⁶ Å⁻², lengths in Å.
"""

FIGURE_ATTRIBUTION = "panlearn demo, CC BY 4.0. Calculated with the Parratt recursion in demo/material/figures.py."

# --- Lesson 1 -------------------------------------------------------------------

LESSON_CURVE = {
    "title": "What a reflectivity curve tells you",
    "slug": "what-a-reflectivity-curve-tells-you",
    "summary": (
        "Specular geometry, momentum transfer and scattering length density; how the "
        "critical edge, the Q⁻⁴ fall and Kiessig fringes are read from a curve, and how "
        "a time-of-flight instrument such as Platypus measures it."
    ),
    "body": [
        (
            "text",
            "<p>Neutron reflectometry measures how neutrons reflect from a flat surface "
            "or a buried interface, and from that how the composition of a sample "
            "changes with depth, over about one to a few hundred nanometres. It is a "
            "natural tool for thin films, coatings, adsorbed layers and the lipid "
            "membranes of lesson 3.</p>"
            "<h2>Specular geometry and momentum transfer</h2>"
            "<p>The beam meets the sample at a small grazing angle θ, typically 0.2° to "
            "5°, measured from the surface rather than from its normal. In "
            "<em>specular</em> reflection it leaves at the same angle on the other "
            "side, as light does from a mirror, so the change in the neutron's "
            "wavevector points along the surface normal, z. Its size is the momentum "
            "transfer Q:</p>",
        ),
        (
            "maths",
            {
                "latex": r"Q = \frac{4\pi \sin\theta}{\lambda}",
                "caption": (
                    "Momentum transfer normal to the surface: θ is the grazing angle, "
                    "λ the neutron wavelength. Q is given in Å⁻¹."
                ),
            },
        ),
        (
            "text",
            "<p>Specular reflection therefore probes structure along the depth only; "
            "anything in the plane of the sample is averaged. A reflectivity curve plots "
            "the reflected fraction R against Q and, as in any scattering experiment, "
            "large Q means small distances.</p>"
            "<h2>Scattering length density</h2>"
            "<p>What neutrons see in a material is its scattering length density (SLD) "
            "ρ: the coherent scattering lengths of the nuclei in a small volume, added "
            "up and divided by that volume. It sets the refractive index for "
            "neutrons:</p>",
        ),
        (
            "maths",
            {
                "latex": r"\rho = \sum_i n_i b_i, \qquad n = 1 - \frac{\lambda^2 \rho}{2\pi}",
                "caption": (
                    "nᵢ is the number density of nucleus type i and bᵢ its coherent "
                    "scattering length; absorption is neglected. n differs from 1 only "
                    "by about 10⁻⁶ to 10⁻⁴."
                ),
            },
        ),
        (
            "text",
            "<p>SLDs are quoted in units of 10⁻⁶ Å⁻². Silicon has 2.07, heavy water "
            "(D₂O) 6.36 and ordinary water (H₂O) −0.56: hydrogen has a negative "
            "scattering length (−3.74 fm), deuterium a positive one (+6.67 fm). "
            "Neutron SLDs do not follow electron density, so even isotopes of one "
            "element can look very different; lesson 3 exploits this.</p>"
            "<h2>The critical edge and total reflection</h2>"
            "<p>Neutrons passing into a medium of <strong>higher</strong> SLD meet a "
            "lower refractive index. Below a critical angle they cannot enter it at all "
            "and every neutron is reflected, R = 1. On the curve this is a flat plateau "
            "at low Q that ends at the critical edge:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"Q_c = \sqrt{16\pi\,\Delta\rho}"
                    r" = 4\sqrt{\pi\,(\rho_{\mathrm{back}} - \rho_{\mathrm{front}})}"
                ),
                "caption": (
                    "Critical momentum transfer for total reflection from the fronting "
                    "medium (where the beam comes from) into the backing medium; it "
                    "exists only when Δρ is positive."
                ),
            },
        ),
        (
            "text",
            "<p>Worked example: neutrons travelling through a silicon block into D₂O see "
            "Δρ = 6.36 − 2.07 = 4.29 × 10⁻⁶ Å⁻², so the edge is at √(16π × 4.29 × "
            "10⁻⁶ Å⁻²) ≈ 0.0147 Å⁻¹. From air onto bare silicon it is at 0.0102 Å⁻¹. "
            "From silicon into H₂O the SLD goes down, so there is no total reflection "
            "at all. In practice the edge position checks the SLD of the backing medium "
            "(is the D₂O really pure?), and the plateau at R = 1 fixes the absolute "
            "scale of the data.</p>"
            "<h2>The Q⁻⁴ fall</h2>"
            "<p>Above the edge the reflectivity drops steeply. For a single, perfectly "
            "sharp interface the exact result is the Fresnel reflectivity, which well "
            "above the edge follows a power law:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"R_F(Q) \approx \frac{16\pi^2\,(\Delta\rho)^2}{Q^4}"
                    r"\qquad (Q \gg Q_c)"
                ),
                "caption": "High-Q limit of the Fresnel reflectivity of one sharp interface.",
            },
        ),
        (
            "text",
            "<p>Doubling Q costs a factor of 16, so a curve spans six or seven orders "
            "of magnitude: hence plots of log R, long counting times at high Q, and a "
            "high-Q end set by the background. More generally, well above the edge R is "
            "approximately the squared Fourier transform of the SLD gradient:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"R(Q) \approx \frac{16\pi^2}{Q^4}"
                    r"\left|\int \frac{d\rho}{dz}\, e^{iQz}\, dz\right|^2"
                ),
                "caption": (
                    "The kinematic (Born) approximation; a single step of height Δρ "
                    "gives back the Fresnel limit. It fails near the critical edge, "
                    "where lesson 2's exact calculation is needed."
                ),
            },
        ),
        (
            "figure",
            {
                "figure": "fresnel-si-d2o",
                "caption": (
                    "Calculated reflectivity of ideally sharp interfaces, neutrons "
                    "entering from silicon. Into D₂O there is total reflection up to "
                    "Q ≈ 0.0147 Å⁻¹, after which the curve approaches the "
                    "16π²Δρ²/Q⁴ asymptote (dashed). Into H₂O the SLD decreases, so there "
                    "is no critical edge."
                ),
                "attribution": FIGURE_ATTRIBUTION,
            },
        ),
        (
            "text",
            "<h2>Kiessig fringes and film thickness</h2>"
            "<p>A uniform film of thickness d on a substrate adds regular oscillations, "
            "Kiessig fringes. Neutrons reflected from the top and from the bottom of "
            "the film interfere with a phase difference close to Q·d; from one fringe "
            "to the next it changes by 2π, so the spacing gives the thickness:</p>",
        ),
        (
            "maths",
            {
                "latex": r"\Delta Q \approx \frac{2\pi}{d}",
                "caption": (
                    "Refraction squeezes the fringes slightly near the critical edge, so "
                    "measure the spacing well above it."
                ),
            },
        ),
        (
            "text",
            "<p>Fringes 0.0314 Å⁻¹ apart mean a film about 200 Å (20 nm) thick. A 10 Å "
            "layer would need ΔQ ≈ 0.63 Å⁻¹, beyond the measured range, so very thin "
            "layers change the shape of the curve without fringes; films thousands of "
            "Å thick have fringes so close that the instrument resolution washes them "
            "out. The depth of the fringes reflects the film's SLD contrast with its "
            "surroundings, and their fading at high Q the interfacial roughness (lesson "
            "2).</p>",
        ),
        (
            "figure",
            {
                "figure": "single-film-fringes",
                "caption": (
                    "A 200 Å film (SLD 6.0 × 10⁻⁶ Å⁻², 3 Å roughness) on silicon, "
                    "measured from air, compared with bare silicon. The fringe spacing "
                    "gives d ≈ 2π/ΔQ ≈ 202 Å, close to the true 200 Å (refraction "
                    "explains the small excess). At the minima the film is a whole number of "
                    "half-wavelengths thick and the curve touches that of bare silicon."
                ),
                "attribution": FIGURE_ATTRIBUTION,
            },
        ),
        (
            "text",
            "<h2>Measuring a curve by time of flight</h2>"
            "<p>Q can be scanned by changing the angle at a fixed wavelength, or by "
            "using many wavelengths at a fixed angle. Time-of-flight reflectometers such "
            "as Platypus, at ANSTO's OPAL research reactor in Sydney, do the latter: "
            "fast-spinning disc choppers cut the continuous, polychromatic beam into "
            "short pulses, and slow neutrons reach the detector later than fast ones. "
            "The flight time t over a path of length L gives each neutron's "
            "wavelength:</p>",
        ),
        (
            "maths",
            {
                "latex": r"\lambda = \frac{h\,t}{m_n L}",
                "caption": (
                    "The de Broglie relation. h/mₙ ≈ 3956 m s⁻¹ Å, so a 5 Å neutron "
                    "travels at about 790 m/s and takes about 12.6 ms to cover 10 m."
                ),
            },
        ),
        (
            "text",
            "<p>With θ fixed, each detected neutron has its own λ and so its own Q. A "
            "wavelength band spanning a factor of ten (say 2 to 20 Å) covers a decade in "
            "Q at one angle: at θ = 0.5° about 0.0055 to 0.055 Å⁻¹. Two or three angles "
            "are stitched together to reach 0.3 Å⁻¹ or more, and because all of one "
            "angle's Q range is collected at once, changing samples can be followed in "
            "time. Chopper and slit settings fix the resolution dQ/Q, typically a few "
            "percent; lesson 3 shows why the model must include it.</p>",
        ),
        (
            "callout",
            {
                "kind": "tip",
                "title": "Reading a curve at a glance",
                "body": (
                    "<ul>"
                    "<li><strong>Critical edge:</strong> the SLD step between fronting "
                    "and backing media.</li>"
                    "<li><strong>Fringe spacing:</strong> layer thickness, d ≈ 2π/ΔQ."
                    "</li>"
                    "<li><strong>Fringe depth:</strong> how much the layer's SLD differs "
                    "from its neighbours.</li>"
                    "<li><strong>Fall faster than Q⁻⁴:</strong> interfacial "
                    "roughness.</li>"
                    "<li><strong>Flat tail at high Q:</strong> background, not "
                    "structure.</li>"
                    "</ul>"
                ),
            },
        ),
    ],
}

# --- Lesson 2 -------------------------------------------------------------------

PARRATT_LISTING = '''\
import numpy as np


def parratt(q, layers):
    """Specular reflectivity of a stack of slabs.

    q      -- momentum transfer values, Å^-1 (1-D array)
    layers -- rows of (thickness Å, SLD 1e-6 Å^-2, roughness Å), from the
              fronting medium (first row) to the backing medium (last row).
              A row's roughness belongs to the interface above that layer.
    """
    q = np.asarray(q, dtype=float)
    d, rho, sigma = (np.asarray(column, dtype=float) for column in zip(*layers))
    rho = rho * 1e-6
    # Perpendicular wavevector in every layer, shape (len(q), len(layers)).
    k = np.sqrt((q[:, None] / 2) ** 2 - 4 * np.pi * (rho - rho[0]) + 0j)
    # Fresnel coefficient of every interface, damped by Nevot-Croce roughness.
    r = (k[:, :-1] - k[:, 1:]) / (k[:, :-1] + k[:, 1:])
    r = r * np.exp(-2 * k[:, :-1] * k[:, 1:] * sigma[1:] ** 2)
    # Parratt recursion from the backing medium upwards.
    x = np.zeros(len(q), dtype=complex)
    for j in range(len(layers) - 2, -1, -1):
        phase = np.exp(2j * k[:, j + 1] * d[j + 1]) if j + 2 < len(layers) else 1
        x = (r[:, j] + x * phase) / (1 + r[:, j] * x * phase)
    return np.abs(x) ** 2


q = np.linspace(0.005, 0.3, 500)
film = [(0, 0.0, 0), (200, 6.0, 3), (0, 2.07, 3)]  # air | 200 Å film | Si
reflectivity = parratt(q, film)
'''

LESSON_MODELS = {
    "title": "Layer models and the Parratt/Abeles formalism",
    "slug": "layer-models-and-the-parratt-abeles-formalism",
    "summary": (
        "How a stack of slabs with thickness, SLD and roughness is turned into a "
        "reflectivity curve: the Parratt recursion, the equivalent Abeles matrices and "
        "the Névot–Croce roughness factor."
    ),
    "body": [
        (
            "text",
            "<p>A reflectivity curve cannot simply be turned back into an SLD profile "
            "(lesson 3 explains why). Instead we propose a profile described by a few "
            "parameters, calculate the reflectivity it would give, compare it with the "
            "data and adjust the parameters. This lesson is about the calculation.</p>"
            "<h2>The slab model</h2>"
            "<p>Most samples are described as a stack of slabs. The neutrons come from "
            "the <em>fronting</em> medium (layer 0: air for a free surface, a silicon "
            "block for a solid–liquid cell), cross layers 1 to N−1 and end in the "
            "<em>backing</em> medium, layer N (for example D₂O). Fronting and backing "
            "media are taken as infinitely thick. Every layer in between has three "
            "parameters:</p>"
            "<ul>"
            "<li><strong>thickness</strong> d, in Å;</li>"
            "<li><strong>SLD</strong> ρ, in 10⁻⁶ Å⁻²;</li>"
            "<li><strong>roughness</strong> σ, in Å: the width of the interface "
            "between this layer and the one above it.</li>"
            "</ul>"
            "<p>In each layer j the neutron wave has a wavevector component k normal to "
            "the surface. It depends on how much the layer's SLD differs from that of "
            "the fronting medium, where k = Q/2:</p>",
        ),
        (
            "maths",
            {
                "latex": r"k_j = \sqrt{\left(\frac{Q}{2}\right)^2 - 4\pi\,(\rho_j - \rho_0)}",
                "caption": (
                    "SLDs here in Å⁻², so multiply tabulated values by 10⁻⁶. When the "
                    "number under the root is negative, k is imaginary and the wave "
                    "dies away inside the layer: this is what happens below the critical "
                    "edge."
                ),
            },
        ),
        (
            "text",
            "<p>At each interface part of the wave is reflected. The amplitude ratio "
            "for a single sharp interface is the Fresnel coefficient:</p>",
        ),
        (
            "maths",
            {
                "latex": r"r_{j,j+1} = \frac{k_j - k_{j+1}}{k_j + k_{j+1}}",
                "caption": "Fresnel reflection coefficient between layers j and j+1.",
            },
        ),
        (
            "text",
            "<h2>The Parratt recursion</h2>"
            "<p>In a multilayer, waves reflected at every interface add up with phases "
            "set by the layer thicknesses, and each of them can be reflected again "
            "before it escapes. Parratt's recursion (1954) does this bookkeeping "
            "exactly. It tracks X, the ratio of upgoing to downgoing wave amplitude just "
            "above each interface (X with index j for the interface between layers j "
            "and j+1). Nothing comes back up out of the semi-infinite backing medium, "
            "so the recursion starts at the bottom with X = 0 and works upwards, one "
            "interface at a time:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"X_N = 0, \qquad "
                    r"X_j = \frac{r_{j,j+1} + X_{j+1}\, e^{2ik_{j+1}d_{j+1}}}"
                    r"{1 + r_{j,j+1}\, X_{j+1}\, e^{2ik_{j+1}d_{j+1}}}, \qquad "
                    r"R = |X_0|^2"
                ),
                "caption": (
                    "Applied for j = N−1 down to 0. The exponential is the phase a wave "
                    "picks up crossing layer j+1 down and back up."
                ),
            },
        ),
        (
            "text",
            "<h3>The Abeles matrix form</h3>"
            "<p>An equivalent formulation, used by many fitting programs, multiplies "
            "one 2 × 2 matrix per interface. It uses the phase thickness β = k d of each "
            "layer, taken as zero for the fronting medium:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"C_j = \begin{pmatrix} e^{i\beta_j} & r_{j,j+1}\, e^{i\beta_j} \\"
                    r" r_{j,j+1}\, e^{-i\beta_j} & e^{-i\beta_j} \end{pmatrix}, \qquad"
                    r" M = C_0\, C_1 \cdots C_{N-1}, \qquad"
                    r" R = \left|\frac{M_{10}}{M_{00}}\right|^2"
                ),
                "caption": (
                    "Matrix elements counted from 0. The product gives exactly the same "
                    "reflectivity as the Parratt recursion."
                ),
            },
        ),
        (
            "text",
            "<h2>Rough interfaces: the Névot–Croce factor</h2>"
            "<p>Real interfaces are never perfectly sharp. The SLD changes over a "
            "finite width, and a common description is an error-function profile (a "
            "step smeared by a Gaussian of standard deviation σ). Névot and Croce "
            "showed that, as long as σ is small compared with the layer thicknesses, "
            "the slab calculation can be kept and each Fresnel coefficient simply "
            "damped:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"\tilde{r}_{j,j+1} = r_{j,j+1}\,"
                    r"\exp\!\left(-2\,k_j\,k_{j+1}\,\sigma_{j+1}^2\right)"
                ),
                "caption": (
                    "σ with index j+1 is the roughness of the interface between layers "
                    "j and j+1. Use the damped coefficient in either formalism."
                ),
            },
        ),
        (
            "text",
            "<p>Well above the critical edge the wavevectors on both sides of an "
            "interface are close to Q/2, so a rough interface reflects roughly "
            "exp(−Q²σ²) times as much as a sharp one. "
            "At Q = 0.2 Å⁻¹ an interface with σ = 3 Å keeps 70 % of its reflectivity; "
            "with σ = 10 Å it keeps under 2 %. Roughness therefore shows up as a fall "
            "that is faster than Q⁻⁴ and as fringes that fade at high Q, while the "
            "fringe spacing, set by the thickness, does not change. When σ becomes "
            "comparable with a layer's thickness the approximation breaks down; the "
            "usual remedy is to cut the smooth profile into many thin slabs "
            "(microslicing) and compute those without roughness.</p>",
        ),
        (
            "figure",
            {
                "figure": "roughness-comparison",
                "caption": (
                    "The 200 Å film from lesson 1 with every interface roughness set to "
                    "3 Å (solid) and to 10 Å (dashed). The fringes stay in the same "
                    "places; the rougher film loses intensity ever faster, by more than "
                    "three orders of magnitude at 0.3 Å⁻¹."
                ),
                "attribution": FIGURE_ATTRIBUTION,
            },
        ),
        (
            "text",
            "<h2>The calculation in code</h2>"
            "<p>The whole method fits in a couple of dozen lines. Reading them is a good "
            "check that you can match every line to one of the equations above.</p>",
        ),
        (
            "code",
            {
                "language": "python",
                "code": PARRATT_LISTING,
                "caption": (
                    "Parratt recursion with Névot–Croce roughness in NumPy (for reading, "
                    "not run here). The figures in this course use the same algorithm."
                ),
            },
        ),
        (
            "callout",
            {
                "kind": "note",
                "title": "Keep track of units",
                "body": (
                    "<p>Tables give SLDs in 10⁻⁶ Å⁻². Multiply by 10⁻⁶ before combining "
                    "them with Q in Å⁻¹, and give thicknesses and roughnesses in Å. A "
                    "missing factor moves the critical edge by a factor of a thousand, "
                    "which is easy to spot; mixing nm and Å in one layer is not.</p>"
                ),
            },
        ),
        (
            "text",
            "<h2>From parameters to curve features</h2>"
            "<ul>"
            "<li><strong>Thickness</strong> sets the fringe spacing.</li>"
            "<li><strong>SLD</strong> sets the critical edge (for the backing medium) "
            "and the depth of the fringes.</li>"
            "<li><strong>Roughness</strong> sets how fast the curve and its fringes fade "
            "at high Q.</li>"
            "</ul>"
            "<p>A real model also needs a few instrument parameters: a "
            "<strong>scale factor</strong> (ideally 1, corrects the normalisation), a "
            "flat <strong>background</strong> (largely incoherent scattering, which is "
            "strong from hydrogen, so higher with H₂O than with D₂O) and the "
            "<strong>resolution</strong> dQ/Q. Use as few layers as the data demand: "
            "every slab adds three parameters, and they are often correlated. For a "
            "thin layer, for instance, the data mostly fix the product of its "
            "thickness and its SLD contrast, not each one separately.</p>",
        ),
    ],
}

# --- Lesson 3 -------------------------------------------------------------------

REFNX_LISTING = """\
from refnx.analysis import CurveFitter, GlobalObjective, Objective, Transform
from refnx.dataset import ReflectDataset
from refnx.reflect import SLD, ReflectModel

# Materials; SLDs in units of 1e-6 Å^-2.
si = SLD(2.07, name="Si")
sio2 = SLD(3.47, name="SiO2")
heads = SLD(1.88, name="PC heads")
tails = SLD(-0.37, name="DMPC tails")
d2o = SLD(6.36, name="D2O")
smw = SLD(2.07, name="Si-matched water")
h2o = SLD(-0.56, name="H2O")

# Slabs: material(thickness Å, roughness Å). The same slab objects appear in
# every contrast, so their parameters are shared in the co-refinement.
oxide = sio2(15, 3)
inner_heads = heads(8, 3)
chains = tails(27, 3)
outer_heads = heads(8, 3)

oxide.thick.setp(vary=True, bounds=(5, 25))
oxide.vfsolv.setp(0.1, vary=True, bounds=(0, 0.5))
inner_heads.thick.setp(vary=True, bounds=(5, 12))
inner_heads.vfsolv.setp(0.3, vary=True, bounds=(0, 0.7))
outer_heads.thick.constraint = inner_heads.thick  # symmetric bilayer
outer_heads.vfsolv.constraint = inner_heads.vfsolv
chains.thick.setp(vary=True, bounds=(20, 35))
d2o.real.setp(vary=True, bounds=(5.8, 6.36))  # allow for some H2O in the D2O

# vfsolv mixes in the SLD of the backing medium (here the water), so the
# hydrated layers change their SLD from one contrast to the next.
contrasts = [
    (d2o, "c_PLP0016596.dat"),
    (smw, "c_PLP0016601.dat"),
    (h2o, "c_PLP0016607.dat"),
]
objectives = []
for water, filename in contrasts:
    structure = si | oxide | inner_heads | chains | outer_heads | water(0, 3)
    model = ReflectModel(structure, bkg=3e-6, dq=5.0)
    model.bkg.setp(vary=True, bounds=(1e-8, 1e-5))
    data = ReflectDataset(filename)  # columns Q, R, dR, dQ
    objectives.append(Objective(model, data, transform=Transform("logY")))

global_objective = GlobalObjective(objectives)
CurveFitter(global_objective).fit("differential_evolution")
print(global_objective)
"""

LESSON_BILAYER = {
    "title": "Contrast variation and fitting a lipid bilayer",
    "slug": "contrast-variation-and-fitting-a-lipid-bilayer",
    "summary": (
        "Using H₂O/D₂O contrasts to see different parts of a supported lipid bilayer, "
        "co-refining several contrasts with one shared model, and the limits of what "
        "a fit can tell you."
    ),
    "body": [
        (
            "text",
            "<p>A phospholipid bilayer deposited on a silicon crystal is a standard "
            "model of a cell membrane. It is only about 5 nm thick: a thin layer of "
            "hydrophobic hydrocarbon chains sandwiched between two layers of hydrated "
            "head groups, with the silicon's native oxide underneath and water on top. "
            "A single reflectivity curve of such a sample can be fitted by more than "
            "one model. The way out is to measure the same sample several times with "
            "different contrasts.</p>"
            "<h2>Contrast variation with H₂O and D₂O</h2>"
            "<p>Hydrogen and deuterium scatter neutrons very differently (−3.74 fm and "
            "+6.67 fm), yet they are chemically almost identical. Exchanging the water "
            "in the sample cell therefore changes what the neutrons see without "
            "changing the sample. Mixing the two waters gives any SLD in between, "
            "linearly in the D₂O volume fraction x:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"\rho_{\mathrm{mix}} = x\,\rho_{\mathrm{D_2O}}"
                    r" + (1 - x)\,\rho_{\mathrm{H_2O}} = -0.56 + 6.92\,x"
                ),
                "caption": "In units of 10⁻⁶ Å⁻².",
            },
        ),
        (
            "text",
            "<p>The values you need for a supported bilayer, all in 10⁻⁶ Å⁻²:</p>"
            "<ul>"
            "<li>H₂O −0.56; D₂O 6.36;</li>"
            "<li>silicon 2.07; silicon oxide (SiO₂) 3.47;</li>"
            "<li>hydrogenous phosphatidylcholine head groups about 1.9; hydrogenous "
            "DMPC chains about −0.4.</li>"
            "</ul>"
            "<p>With x = 0.38 the water has an SLD of 2.07, the same as silicon: this "
            "is <em>silicon-matched water</em>. The substrate then becomes invisible "
            "and only the oxide and the bilayer reflect. In D₂O the hydrocarbon chains "
            "stand out strongly against the water; in H₂O the chains (−0.37) are almost "
            "matched to the water, and the head groups and oxide dominate. Each "
            "contrast weighs the parts of the sample differently.</p>"
            "<p>Layers that contain water change with the contrast too. If a fraction "
            "φ of a layer's volume is water, its SLD is a volume-weighted average:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"\rho_{\mathrm{layer}} = (1 - \varphi)\,\rho_{\mathrm{material}}"
                    r" + \varphi\,\rho_{\mathrm{water}}"
                ),
                "caption": (
                    "φ is the volume fraction of water in the layer (hydration of head "
                    "groups, defects in the bilayer, water in the oxide)."
                ),
            },
        ),
        (
            "text",
            "<p>Measuring in several waters therefore separates how much material a "
            "layer holds from how much water it holds, which one contrast alone cannot "
            "do.</p>",
        ),
        (
            "figure",
            {
                "figure": "bilayer-contrasts",
                "caption": (
                    "One bilayer model in three waters: Si | 15 Å SiO₂ (10 % water) | "
                    "8 Å heads (30 % water) | 27 Å chains | 8 Å heads (30 % water) | "
                    "water, 3 Å roughness throughout, smeared with 5 % dQ/Q and no "
                    "background. Only D₂O shows a critical edge; the minimum near "
                    "0.2 Å⁻¹ moves with contrast."
                ),
                "attribution": FIGURE_ATTRIBUTION,
            },
        ),
        (
            "text",
            "<h2>Co-refining several contrasts</h2>"
            "<p>All contrasts come from the same sample, so they are fitted "
            "together with <strong>one</strong> structural model. Thicknesses, "
            "roughnesses, the material SLDs and the water fractions are shared; only "
            "the SLD of the water differs, and even that may be allowed to vary a "
            "little because D₂O picks up H₂O from the air. Each contrast keeps its own "
            "background and, if needed, scale factor. The fit minimises a single "
            "chi-squared summed over every point of every contrast:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"\chi^2 = \sum_{c} \sum_{i}"
                    r" \left(\frac{R^{\mathrm{obs}}_{c,i}"
                    r" - R^{\mathrm{calc}}_{c}(Q_{c,i};\,\mathbf{p})}"
                    r"{\delta R_{c,i}}\right)^2, \qquad"
                    r" \chi^2_\nu = \frac{\chi^2}{N - P}"
                ),
                "caption": (
                    "c runs over contrasts and i over data points with uncertainties "
                    "δR; p are the P model parameters and N the total number of points. "
                    "A reduced chi-squared near 1 means the model describes the data to within "
                    "their errors."
                ),
            },
        ),
        (
            "text",
            "<h2>Instrumental resolution</h2>"
            "<p>No instrument measures at a perfectly defined Q. The spread of angles in "
            "the beam and, on a time-of-flight instrument, the spread of wavelengths in "
            "each time bin mean that every data point averages the reflectivity over a "
            "small range of Q. The model must be smeared in the same way before it is "
            "compared with the data, usually with a Gaussian whose full width at half "
            "maximum is dQ:</p>",
        ),
        (
            "maths",
            {
                "latex": (
                    r"R_{\mathrm{meas}}(Q) = \int R(Q')\,"
                    r"\frac{1}{\sqrt{2\pi}\,\sigma_Q}\,"
                    r"e^{-(Q' - Q)^2 / 2\sigma_Q^2}\,dQ', \qquad"
                    r" \sigma_Q = \frac{dQ}{2\sqrt{2\ln 2}}"
                ),
                "caption": (
                    "dQ/Q is typically a few percent. Platypus data files carry dQ for every point as a fourth column."
                ),
            },
        ),
        (
            "text",
            "<p>Resolution fills in sharp fringe minima and rounds off the critical "
            "edge. Fitting unsmeared models to real data pushes the fit towards "
            "rougher interfaces to mimic the lost fringe depth.</p>",
        ),
        (
            "callout",
            {
                "kind": "warning",
                "title": "A good fit is not a unique answer",
                "body": (
                    "<p>The detector counts intensity, R = |r|², so the phase of the "
                    "reflected wave is lost: this is the <em>phase problem</em>. "
                    "Quite different SLD profiles can give the same reflectivity over "
                    "the measured Q range (in the kinematic approximation a profile and "
                    "its mirror image are indistinguishable), and limited Q range and "
                    "noise add more freedom. Several contrasts, known reference layers "
                    "such as the oxide, and physical constraints (molecular volumes, a "
                    "sensible amount of water) are what make a model credible. Always "
                    "look at the SLD profile behind a fit, not just at χ².</p>"
                ),
            },
        ),
        (
            "text",
            "<h2>The data used in the exercises</h2>"
            "<p>Later exercises use real data: a DMPC bilayer on silicon measured on "
            "Platypus at ANSTO in three contrasts, D₂O (c_PLP0016596.dat), "
            "silicon-matched water (c_PLP0016601.dat) and H₂O (c_PLP0016607.dat). The "
            'files ship with <a href="https://refnx.readthedocs.io/">refnx</a>, an '
            "open-source Python package for reflectometry analysis, and hold four "
            "columns: Q, R, the uncertainty in R and dQ. The listing below shows how "
            "the model of this lesson is set up in refnx.</p>",
        ),
        (
            "code",
            {
                "language": "python",
                "code": REFNX_LISTING,
                "caption": (
                    "Co-refining three contrasts of a lipid bilayer with refnx (for "
                    "reading, not run here). The starting structure is the one in the figure above."
                ),
            },
        ),
        (
            "callout",
            {
                "kind": "tip",
                "title": "Checks before you believe a fit",
                "body": (
                    "<ul>"
                    "<li>Look at the residuals of every contrast, not only the total "
                    "χ².</li>"
                    "<li>Is the fitted D₂O SLD close to 6.36, and the oxide thickness "
                    "typical of native oxide (about 10–20 Å)?</li>"
                    "<li>Do head group and chain thicknesses agree with what is known "
                    "about the lipid?</li>"
                    "<li>Start from a simple model and add layers only when the data "
                    "demand them.</li>"
                    "</ul>"
                ),
            },
        ),
    ],
}

REFLECTOMETRY_COURSE = {
    "title": "Neutron reflectometry: from reflectivity curve to layer model",
    "slug": "neutron-reflectometry",
    "summary": (
        "An introduction to neutron reflectometry for newcomers: what a reflectivity "
        "curve shows, how a layer model is calculated, and how contrast variation and "
        "co-refinement are used to fit a lipid bilayer."
    ),
    "level": "beginner",
    "estimated_minutes": 90,
    "prerequisites": (
        "<p>Undergraduate physics is enough. In particular you should be comfortable "
        "with:</p>"
        "<ul>"
        "<li>waves, interference and the refractive index;</li>"
        "<li>complex numbers and exponentials;</li>"
        "<li>reading plots with a logarithmic axis.</li>"
        "</ul>"
        "<p>No previous experience of neutron scattering is assumed.</p>"
    ),
    "learning_outcomes": [
        "Explain specular reflection and calculate the momentum transfer Q from angle and wavelength.",
        "Read the critical edge, the Q⁻⁴ fall and Kiessig fringes from a reflectivity "
        "curve and estimate a film thickness from the fringe spacing.",
        "Describe a sample as a slab model and outline how the Parratt recursion "
        "calculates its reflectivity, including interfacial roughness.",
        "Choose H₂O/D₂O contrasts for a sample and explain why several contrasts are "
        "co-refined with shared parameters.",
        "Recognise the role of instrumental resolution and the non-uniqueness of fitted models.",
    ],
    "technique": "reflectometry",
    "facility": "ANSTO",
    "instructors": [
        {"name": "Dr. Ada Example", "affiliation": "panlearn demo", "orcid": ""},
    ],
    "licence": "CC-BY-4.0",
    "enrolment": "open",
    "lessons": [LESSON_CURVE, LESSON_MODELS, LESSON_BILAYER],
}

# --- Safety induction (a training programme of the demo facility) ------------------------------

SAFETY_FACILITY = {
    "short_name": "PDS",
    "name": "PaN Demo Source",
    "website": "",
    "contacts": [
        {"role": "User office", "name": "Demo user office", "email": "useroffice@example.org", "phone": ""},
        {"role": "Radiation protection", "name": "Duty radiation protection officer",
         "email": "radiation.protection@example.org", "phone": ""},
    ],
}  # fmt: skip

# The final quiz: five questions of one point each; the programme's pass mark (80 %) needs four.
SAFETY_QUIZ = {
    "title": "Facility safety induction: final quiz",
    "prompt": "Answer all five questions. You need 4 of 5 (80 %) to pass; you may try again.",
    "questions": [
        {
            "kind": "single",
            "prompt": "You are the last to leave an interlocked experimental hutch and the search was "
            "interrupted before you could complete it. What do you do?",
            "spec": {"options": [
                {"id": "a", "text": "Close the door: the interlock will sort it out.",
                 "feedback": "The interlock only protects you when the search has been done in full."},
                {"id": "b", "text": "Start the search procedure again from the beginning, as trained.", "correct": True,
                 "feedback": "Yes: an interrupted search is no search. Start again, or call the beamline staff."},
                {"id": "c", "text": "Ask a colleague to hold the door switch while you finish.",
                 "feedback": "Never defeat an interlock, even for a moment."},
            ]},
        },
        {
            "kind": "multiple",
            "prompt": "Which of these reduce the dose you receive near a radiation source? Select all that apply.",
            "spec": {"mode": "all_or_nothing", "options": [
                {"id": "a", "text": "Spending less time near it", "correct": True},
                {"id": "b", "text": "Keeping your distance from it", "correct": True},
                {"id": "c", "text": "Staying behind the shielding", "correct": True},
                {"id": "d", "text": "Wearing your personal dosimeter",
                 "feedback": "A dosimeter measures your dose; it does not reduce it."},
            ]},
        },
        {
            "kind": "number",
            "prompt": "For a small (point-like) source, to what fraction of its value does the dose rate fall "
            "when you double your distance from it? Give a number, e.g. 0.5.",
            "spec": {"value": 0.25, "abs_tol": 0.001,
                     "feedback_correct": "Right: the inverse-square law gives (1/2)² = 1/4.",
                     "feedback_wrong": "Use the inverse-square law: the dose rate goes as 1/distance²."},
        },
        {
            "kind": "single",
            "prompt": "In which section of a safety data sheet (SDS) do you find the personal protective "
            "equipment to wear when handling the substance?",
            "spec": {"options": [
                {"id": "a", "text": "Section 2: Hazards identification",
                 "feedback": "Section 2 gives the hazards, pictograms and H and P statements."},
                {"id": "b", "text": "Section 8: Exposure controls/personal protection", "correct": True,
                 "feedback": "Yes: section 8 lists exposure limits and the protective equipment."},
                {"id": "c", "text": "Section 14: Transport information",
                 "feedback": "Section 14 is about shipping the substance."},
            ]},
        },
        {
            "kind": "text",
            "prompt": "The evacuation alarm sounds while your sample is measuring. After leaving the building "
            "by the nearest exit, where do you go?",
            "spec": {"patterns": [{"pattern": "(?i).*assembly.*", "match": "regex",
                                   "feedback": "Yes: the assembly point, where the evacuation is counted."}],
                     "feedback_wrong": "Go to the assembly point shown on the evacuation plan, and stay there."},
        },
    ],
}  # fmt: skip

SAFETY_PROGRAMME = {
    "name": "General safety induction",
    "description": (
        "Required of everyone who comes to the PaN Demo Source for an experiment, whether on site or remote: "
        "radiation areas and interlocks, personal dosimetry, chemical safety and emergencies. Valid for 12 months."
    ),
    "validity_months": 12,
    "pass_mark": 80,
    "requirements": [{"role": "", "instrument": "", "experiment_type": ""}],
}

SAFETY_EXPERIMENT = {
    "proposal": "PDS-DEMO-0001",
    "title": "Lipid bilayer structure at three water contrasts",
    "instrument": "REFL-1",
    "experiment_type": "soft matter",
    "starts_in_days": 30,
    "participants": [("student", "experimenter")],
}

SAFETY_COURSE = {
    "title": "Facility safety induction",
    "slug": "facility-safety-induction",
    "summary": (
        "The general safety induction for visiting users of the PaN Demo Source: radiation areas and "
        "interlocks, personal dosimetry, chemical safety and safety data sheets, and what to do in an "
        "emergency. It ends with a short quiz; a pass is valid for 12 months."
    ),
    "level": "beginner",
    "estimated_minutes": 45,
    "prerequisites": "<p>None. Complete this course before your first visit.</p>",
    "learning_outcomes": [
        "Recognise radiation areas and follow the search and interlock rules of an experimental area.",
        "Explain time, distance and shielding, and wear and read a personal dosimeter correctly.",
        "Find the hazards and the protective equipment for a chemical on its safety data sheet.",
        "Act on an alarm: stop, leave by the nearest exit, go to the assembly point and report.",
    ],
    "technique": None,
    "facility": "PDS",
    "instructors": [
        {"name": "Sam Placeholder", "affiliation": "PaN Demo Source (fictional)", "orcid": ""},
    ],
    "licence": "CC-BY-4.0",
    "enrolment": "open",
    "lessons": [
        {
            "title": "Before you arrive",
            "slug": "before-you-arrive",
            "summary": "Registration, training and paperwork to finish before the visit.",
            "body": [
                (
                    "callout",
                    {
                        "kind": "note",
                        "title": "A demo facility",
                        "body": (
                            "<p>The PaN Demo Source is fictional. The rules here are those common to "
                            "photon and neutron facilities; a real facility adds its own procedures, "
                            "contacts and local regulations.</p>"
                        ),
                    },
                ),
                (
                    "text",
                    "<ul>"
                    "<li>Register in the user office system and confirm your visit dates.</li>"
                    "<li>Pass the training your experiment requires. The page <em>Ready for your "
                    "experiment?</em> lists it, with what is still missing.</li>"
                    "<li>Declare your samples, including any hazardous chemicals, nanomaterials or "
                    "biological material, so the experiment can be safety-reviewed before you come.</li>"
                    "<li>Bring the safety data sheets of the chemicals you bring, and arrange how they "
                    "are shipped and disposed of.</li>"
                    "<li>Collect your personal dosimeter and badge when you arrive, before you enter "
                    "the experimental hall.</li>"
                    "</ul>",
                ),
            ],
        },
        {
            "title": "Radiation areas, interlocks and dosimetry",
            "slug": "radiation-areas-interlocks-and-dosimetry",
            "summary": "Where radiation is, how interlocks keep you out of the beam, and how your dose is measured.",
            "body": [
                (
                    "text",
                    "<h2>Radiation areas</h2>"
                    "<p>Around sources, beamlines and instruments, areas are classified by the dose one "
                    "could receive there. <strong>Controlled areas</strong> and <strong>supervised "
                    "areas</strong> are marked with the radiation trefoil at every entrance; enter them "
                    "only with your dosimeter and only for your work. Most facilities keep visiting users "
                    "below the public dose limit of 1 mSv a year (EU Directive 2013/59/Euratom), and "
                    "usually far below it.</p>"
                    "<h2>Time, distance and shielding</h2>"
                    "<p>Keep every dose as low as reasonably achievable (ALARA): spend as little "
                    "<strong>time</strong> near a source as you can, keep your <strong>distance</strong> "
                    "(from a small source, the dose rate falls with the square of the distance: twice as "
                    "far gives a quarter of the dose rate), and stay behind the <strong>shielding</strong>. "
                    "Never remove or move shielding.</p>"
                    "<h2>Interlocks and the search procedure</h2>"
                    "<p>An experimental hutch or instrument enclosure is closed to people while the beam "
                    "can enter it. Before the beam is allowed in, the area is searched, in a set order, "
                    "to make sure nobody is inside; then the door is closed and the interlock lets the "
                    "shutter open. An interrupted search must be started again. Never bypass, block or "
                    "hold an interlock switch. If you are ever inside when a search completes or the "
                    "beam is about to come on, press the nearest emergency stop button at once.</p>"
                    "<h2>Personal dosimetry</h2>"
                    "<p>Wear your dosimeter on the trunk, between the shoulders and the waist, whenever "
                    "you are in a controlled or supervised area, and hand it back when you leave the site. "
                    "A passive dosimeter (OSL or TLD) is read after your visit; an electronic personal "
                    "dosimeter shows your dose as you work and alarms at a set dose or dose rate: if it "
                    "alarms, leave the area calmly and tell the radiation protection officer.</p>"
                    "<h2>Activated samples</h2>"
                    "<p>Samples and sample environment can become radioactive in a neutron beam, and "
                    "sometimes in a very intense photon beam. Never take anything out of an instrument "
                    "area until radiation protection staff have measured and released it.</p>",
                ),
            ],
        },
        {
            "title": "Chemical safety and safety data sheets",
            "slug": "chemical-safety-and-safety-data-sheets",
            "summary": "Reading a safety data sheet, protective equipment, cryogens and gases.",
            "body": [
                (
                    "text",
                    "<h2>The safety data sheet</h2>"
                    "<p>Every hazardous chemical comes with a safety data sheet (SDS) in the 16 sections "
                    "set by the Globally Harmonized System (GHS). Read it before you handle the substance. "
                    "The sections you need most often:</p>"
                    "<ul>"
                    "<li><strong>Section 2, Hazards identification</strong>: the pictograms, the signal word "
                    "(Danger or Warning), the hazard (H) and precautionary (P) statements.</li>"
                    "<li><strong>Section 4, First-aid measures</strong>: what to do after contact, "
                    "inhalation or swallowing.</li>"
                    "<li><strong>Section 7, Handling and storage</strong>, and <strong>section 10, "
                    "Stability and reactivity</strong>: what it must be kept away from.</li>"
                    "<li><strong>Section 8, Exposure controls/personal protection</strong>: exposure "
                    "limits and the gloves, eye protection and ventilation to use.</li>"
                    "<li><strong>Section 6, Accidental release measures</strong> and <strong>section 13, "
                    "Disposal</strong>: spills and waste.</li>"
                    "</ul>"
                    "<h2>In the laboratory</h2>"
                    "<p>Work only with the chemicals declared for your experiment, in the laboratory "
                    "assigned to you, with the protective equipment the safety review asks for: at "
                    "least a lab coat and safety glasses. Label every container with its contents, your "
                    "name and the date. Never eat or drink in a laboratory. Dispose of waste in the "
                    "marked containers, never down the sink.</p>"
                    "<h2>Cryogens and gases</h2>"
                    "<p>One litre of liquid nitrogen becomes about 700 litres of gas, which can displace "
                    "the oxygen in a small room without warning: fill dewars only in ventilated places, "
                    "and leave at once if an oxygen-depletion alarm sounds. Wear a face shield and "
                    "cryogenic gloves when pouring. Gas cylinders must be chained or clamped, with the "
                    "cap on when not in use.</p>",
                ),
                (
                    "callout",
                    {
                        "kind": "tip",
                        "title": "No SDS, no sample",
                        "body": "<p>If you cannot find the safety data sheet of something you use, stop and "
                        "ask your local contact before you go on.</p>",
                    },
                ),
            ],
        },
        {
            "title": "Emergencies",
            "slug": "emergencies",
            "summary": "Alarms, evacuation, injuries, spills and how to report.",
            "body": [
                (
                    "text",
                    "<h2>When an alarm sounds</h2>"
                    "<ol>"
                    "<li>Stop your work; leave the sample and the instrument as they are.</li>"
                    "<li>Leave by the nearest exit. Do not use lifts; do not go back for belongings.</li>"
                    "<li>Go to the <strong>assembly point</strong> shown on the evacuation plans and "
                    "report to the person in charge there, so that nobody is searched for in vain.</li>"
                    "<li>Do not re-enter until you are told it is safe.</li>"
                    "</ol>"
                    "<h2>Fire, injuries and spills</h2>"
                    "<p>Raise the alarm first, then call the site's emergency number (it is on your "
                    "badge and next to every phone). Fight a fire only if it is small, you are trained "
                    "and your way out is behind you. For an injury, call for help and give first aid "
                    "only as far as you are trained. For a chemical spill, follow section 6 of the SDS, "
                    "keep others away, and tell your local contact.</p>"
                    "<h2>Report near misses</h2>"
                    "<p>Report every accident, and every near miss, to your local contact or the duty "
                    "officer. Reports are how a facility learns before someone is hurt.</p>",
                ),
                (
                    "callout",
                    {
                        "kind": "warning",
                        "title": "If in doubt, stop and ask",
                        "body": (
                            "<p>If anything seems unsafe, stop and contact your local contact or the "
                            "facility's duty officer.</p>"
                        ),
                    },
                ),
            ],
        },
        {
            "title": "Final quiz",
            "slug": "final-quiz",
            "summary": "Five questions; 80 % passes the programme for 12 months.",
            "body": [
                ("text", "<p>Check what you have learnt. A pass (4 of 5) completes the General safety "
                 "induction programme, valid for 12 months.</p>"),
                ("exercise", {"exercise": "safety-quiz"}),
            ],
        },
    ],
}  # fmt: skip
