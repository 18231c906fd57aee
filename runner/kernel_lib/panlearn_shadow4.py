"""A small shadow4 beamline for virtual experiments: a Gaussian source, a slit, a toroidal mirror at
grazing incidence that focuses the source onto an image screen.

    import panlearn_shadow4 as s4
    result = s4.trace(s4.ToroidBeamline(nrays=100_000))
    result.fwhm_h, result.fwhm_v, result.transmitted
    s4.trace(s4.ToroidBeamline(slit_half_h=None, slit_half_v=None))  # no slit

Works offline, as the sandbox has no network: the mirror reflects everything (`coating=None`) or
computes its reflectivity with xraylib, whose tables are compiled into its wheel. shadow4's other
material library, dabax, downloads its tables from GitHub at run time and so cannot work here
(docs/trainer.md, "Virtual experiments").

Geometry (shadow4's frame: y along the beam, x horizontal, z vertical): the mirror reflects upwards,
so the vertical is its meridional plane and the horizontal its sagittal one. Lengths in metres,
angles in radians.
"""

import math
import time
from dataclasses import dataclass

import numpy as np
from panlearn_optics import fwhm, meridional_radius, sagittal_radius


@dataclass(frozen=True)
class ToroidBeamline:
    nrays: int = 100_000
    seed: int = 5676561
    sigma_h: float = 10e-6  # source rms size
    sigma_v: float = 5e-6
    sigma_h_prime: float = 20e-6  # source rms divergence
    sigma_v_prime: float = 10e-6
    energy_ev: float = 10_000.0
    slit_distance: float = 5.0  # source to slit
    slit_half_h: float | None = 150e-6  # None: open horizontally
    slit_half_v: float | None = 75e-6  # None: open vertically; both None: no slit at all
    p: float = 10.0  # source to mirror
    q: float = 10.0  # mirror to image
    grazing_angle: float = 3e-3
    coating: str | None = None  # e.g. "Rh": reflectivity from xraylib; None: the mirror reflects everything
    coating_density: float = 12.41  # g/cm³
    p_focus: float | None = None  # the distances the mirror is shaped for; p and q unless given
    q_focus: float | None = None


@dataclass(frozen=True)
class TraceResult:
    fwhm_h: float  # spot size on the image screen (good rays)
    fwhm_v: float
    sigma_h: float
    sigma_v: float
    transmitted: float  # fraction of the source's rays that reach the screen
    intensity: float  # fraction of the source's intensity on the screen (mirror reflectivity included)
    good_rays: int
    radius: float  # the toroid's meridional and sagittal radii
    radius_sagittal: float
    trace_ms: float


def build(config: ToroidBeamline):
    """The shadow4 S4Beamline for `config` (its `to_python_code()` prints a standalone script)."""
    from shadow4.beamline.optical_elements.absorbers.s4_screen import S4Screen, S4ScreenElement
    from shadow4.beamline.optical_elements.mirrors.s4_toroid_mirror import S4ToroidMirror, S4ToroidMirrorElement
    from shadow4.beamline.s4_beamline import S4Beamline
    from shadow4.beamline.s4_optical_element_decorators import SurfaceCalculation
    from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical
    from syned.beamline.element_coordinates import ElementCoordinates
    from syned.beamline.shape import Rectangle

    has_slit = config.slit_half_h is not None or config.slit_half_v is not None
    if has_slit and not 0 < config.slit_distance < config.p:
        raise ValueError("the slit must stand between the source and the mirror")
    # SourceGeometrical rather than SourceGaussian: it writes itself into to_python_code(), and carries the energy.
    source = SourceGeometrical(name="source", nrays=config.nrays, seed=config.seed)
    source.set_spatial_type_gaussian(sigma_h=config.sigma_h, sigma_v=config.sigma_v)
    source.set_angular_distribution_gaussian(sigdix=config.sigma_h_prime, sigdiz=config.sigma_v_prime)
    source.set_energy_distribution_singleline(config.energy_ev, unit="eV")
    beamline = S4Beamline(light_source=source)
    mirror_p = config.p
    if has_slit:
        # None: a metre, open in that direction; 0.0 is a closed slit, not an open one.
        half_h = 1.0 if config.slit_half_h is None else config.slit_half_h
        half_v = 1.0 if config.slit_half_v is None else config.slit_half_v
        slit = S4Screen(name="slit", boundary_shape=Rectangle(-half_h, half_h, -half_v, half_v), i_abs=0, i_stop=0)
        coordinates = ElementCoordinates(p=config.slit_distance, q=0.0, angle_radial=0.0, angle_radial_out=math.pi)
        beamline.append_beamline_element(S4ScreenElement(optical_element=slit, coordinates=coordinates))
        mirror_p = config.p - config.slit_distance
    reflectivity = {"f_reflec": 0}
    if config.coating:
        reflectivity = {"f_reflec": 1, "f_refl": 5, "coating_material": config.coating,
                        "coating_density": config.coating_density}  # fmt: skip
    mirror = S4ToroidMirror(
        name="toroid",
        surface_calculation=SurfaceCalculation.INTERNAL,
        f_torus=0,
        p_focus=config.p_focus or config.p,
        q_focus=config.q_focus or config.q,
        grazing_angle=config.grazing_angle,
        **reflectivity,
    )
    incidence = math.pi / 2 - config.grazing_angle  # shadow measures it from the normal
    coordinates = ElementCoordinates(p=mirror_p, q=0.0, angle_radial=incidence, angle_radial_out=incidence)
    beamline.append_beamline_element(S4ToroidMirrorElement(optical_element=mirror, coordinates=coordinates))
    screen = ElementCoordinates(p=config.q, q=0.0, angle_radial=0.0, angle_radial_out=math.pi)
    beamline.append_beamline_element(S4ScreenElement(optical_element=S4Screen(name="image"), coordinates=screen))
    return beamline


def trace(config: ToroidBeamline) -> TraceResult:
    """Trace `config`'s rays from the source to the image screen."""
    started = time.perf_counter()
    beamline = build(config)
    beam = beamline.get_light_source().get_beam()
    intensity_in = beam.get_intensity(nolost=1)
    for element in beamline.get_beamline_elements():
        element.set_input_beam(beam)
        beam, _ = element.trace_beam()
    elapsed_ms = (time.perf_counter() - started) * 1000
    good = beam.get_column(10) > 0
    x, z = beam.get_column(1)[good], beam.get_column(3)[good]
    weights = beam.get_column(23)[good]
    p_focus, q_focus = config.p_focus or config.p, config.q_focus or config.q
    return TraceResult(
        fwhm_h=fwhm(x, weights=weights),
        fwhm_v=fwhm(z, weights=weights),
        sigma_h=float(np.std(x)),
        sigma_v=float(np.std(z)),
        transmitted=float(good.mean()),
        intensity=float(beam.get_intensity(nolost=1) / intensity_in),
        good_rays=int(good.sum()),
        radius=meridional_radius(p_focus, q_focus, config.grazing_angle),
        radius_sagittal=sagittal_radius(p_focus, q_focus, config.grazing_angle),
        trace_ms=elapsed_ms,
    )
