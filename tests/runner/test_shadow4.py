"""shadow4 ray tracing in real sandboxed kernels (issue 21): no network, a read-only system, and the
default kernel limits, not the smaller ones the other runner tests use."""

import contextlib
import json
import sys

import pytest

from runner.host_config import HostConfig, Limits
from runner.sandbox import KERNEL_LIB_SOURCE
from tests.runner.conftest import RunningHost, text_of

sys.path.insert(0, str(KERNEL_LIB_SOURCE))
import panlearn_optics as optics
import panlearn_shadow4 as s4

DEFAULTS, LIMITS = HostConfig(), Limits()


SHADOW4_MODULES = (
    "shadow4.sources.source_geometrical.source_geometrical",
    "shadow4.beamline.s4_beamline",
    "shadow4.beamline.optical_elements.mirrors.s4_toroid_mirror",
    "shadow4.beamline.optical_elements.absorbers.s4_screen",
)


def host_at_default_limits(tmp, **overrides) -> RunningHost:
    return RunningHost(
        tmp,
        PANLEARN_RUNNER_POOL_SIZE="1",
        PANLEARN_RUNNER_CELL_TIMEOUT=str(int(DEFAULTS.cell_timeout)),
        PANLEARN_RUNNER_MEMORY_MIB=str(LIMITS.memory_mib),
        PANLEARN_RUNNER_PIDS=str(LIMITS.pids),
        PANLEARN_RUNNER_TMP_MIB=str(LIMITS.tmp_mib),
        **overrides,
    )


@pytest.fixture(scope="module")
def default_host(tmp_path_factory):
    host = host_at_default_limits(tmp_path_factory.mktemp("shadow4"))
    yield host
    host.stop()


@pytest.fixture(scope="module")
def grading_host(tmp_path_factory):
    """Grading parents at the default preload: each job imports shadow4 itself. Each job mounts a private tmpfs
    over /tmp, and binds back, read-only, what the sandbox bound below it: a virtualenv that lives under /tmp (a
    worktree's, maybe CI's; run this with one there to check it) stays importable."""
    host = host_at_default_limits(tmp_path_factory.mktemp("shadow4-grading"))
    yield host
    host.stop()


@pytest.fixture
def kernel(default_host, request):
    """Runs code in a fresh sandboxed kernel of the default-limits host; answers (status, text, reply)."""
    user = f"s4-{request.node.name}"[:60]
    with default_host.client() as client:
        session_id = client.create_session(user=user, context=request.node.name)["session_id"]

        def run(code: str):
            reply = client.execute(session_id, user=user, code=code)
            return reply.status, text_of(reply), reply

        yield run
        with contextlib.suppress(Exception):
            client.shutdown(session_id, user=user)


def slit_of(config: s4.ToroidBeamline):
    """The slit's (x min, x max, z min, z max) and distance in the beamline `config` builds; None without one."""
    pytest.importorskip("shadow4")
    first = s4.build(config).get_beamline_elements()[0]
    if first.get_optical_element().get_name() != "slit":
        return None
    return first.get_optical_element().get_boundary_shape().get_boundaries(), first.get_coordinates().p()


def test_the_beamline_s_slit_opens_only_where_a_half_width_is_none():
    """None opens a direction (a metre), 0.0 closes it; the slit exists while either half-width is set."""
    assert slit_of(s4.ToroidBeamline()) == ((-150e-6, 150e-6, -75e-6, 75e-6), 5.0)
    assert slit_of(s4.ToroidBeamline(slit_half_h=None)) == ((-1.0, 1.0, -75e-6, 75e-6), 5.0)  # vertical only
    assert slit_of(s4.ToroidBeamline(slit_half_v=None)) == ((-150e-6, 150e-6, -1.0, 1.0), 5.0)
    assert slit_of(s4.ToroidBeamline(slit_half_v=0.0)) == ((-150e-6, 150e-6, -0.0, 0.0), 5.0)  # closed
    assert slit_of(s4.ToroidBeamline(slit_half_h=None, slit_half_v=None)) is None
    assert [
        element.get_optical_element().get_name()
        for element in s4.build(s4.ToroidBeamline(slit_half_h=None, slit_half_v=None)).get_beamline_elements()
    ] == ["toroid", "image"]
    with pytest.raises(ValueError, match="between the source and the mirror"):
        s4.build(s4.ToroidBeamline(slit_half_h=None, slit_distance=12.0))  # a vertical slit is a slit too
    s4.build(s4.ToroidBeamline(slit_half_h=None, slit_half_v=None, slit_distance=12.0))  # no slit: no matter
    # A vertical-only slit (±75 µm at 5 m) passes the vertical Gaussian integral there.
    vertical_only = s4.trace(s4.ToroidBeamline(nrays=20_000, slit_half_h=None)).transmitted
    analytic = optics.gaussian_slit_transmission(75e-6, optics.beam_size(5.0, 5e-6, 10e-6))
    assert vertical_only == pytest.approx(analytic, rel=0.03)


def test_shadow4_imports_offline_and_writes_nothing_outside_the_sandbox_s_own_tmpfs(kernel):
    status, text, reply = kernel("""
import json, os, socket, time, warnings
warnings.simplefilter("always")
started = time.perf_counter()
import shadow4, syned, srxraylib, silx, fabio, xraylib
from shadow4.beamline.s4_beamline import S4Beamline
from shadow4.beamline.optical_elements.mirrors.s4_toroid_mirror import S4ToroidMirror
from shadow4.sources.source_geometrical.source_geometrical import SourceGeometrical
from silx.io.specfile import SpecFile
import panlearn_shadow4
imported_ms = (time.perf_counter() - started) * 1000
try:
    socket.create_connection(("raw.githubusercontent.com", 443), timeout=3)
    network = "reachable"
except OSError as error:
    network = type(error).__name__
print(json.dumps({"imported_ms": imported_ms, "network": network,
                  "site_packages_writable": os.access(os.path.dirname(shadow4.__file__), os.W_OK)}))
""")
    assert status == "ok", text
    found = json.loads(text.strip().splitlines()[-1])
    assert found["network"] != "reachable"
    assert found["site_packages_writable"] is False
    # Nothing on stderr: no cache (matplotlib's fonts, silx, fabio) that failed to write, no warning.
    assert [output for output in reply.outputs if output.get("name") == "stderr"] == []


def test_materials_resolve_offline_with_xraylib_and_dabax_fails_fast_naming_its_file(kernel):
    status, text, _ = kernel("""
import time, xraylib
delta = 1 - xraylib.Refractive_Index_Re("Rh", 10.0, 12.41)
beta = xraylib.Refractive_Index_Im("Rh", 10.0, 12.41)
print(f"{delta:.3e} {beta:.3e}")
from dabax.dabax_xraylib import DabaxXraylib
started = time.perf_counter()
try:
    DabaxXraylib()
except Exception as error:
    print(f"{time.perf_counter() - started:.1f}", error)
""")
    assert status == "ok", text
    materials, dabax = text.strip().splitlines()[-2:]
    delta, beta = map(float, materials.split())
    assert 2.0e-5 < delta < 2.5e-5 and 0.5e-6 < beta < 2e-6  # rhodium at 10 keV: Henke's tables give 2.2e-5
    seconds, message = dabax.split(" ", 1)
    assert float(seconds) < 5  # no network namespace: the download fails at once rather than hanging
    assert "f0_InterTables.dat" in message


def test_a_100k_ray_trace_fits_the_default_limits_and_images_the_source(kernel):
    """Source 10 µm × 5 µm rms, a slit at 5 m, a toroid imaging 1:1 at 3 mrad, 100,000 rays."""
    status, text, reply = kernel("""
import dataclasses, json
import panlearn_shadow4 as s4
result = s4.trace(s4.ToroidBeamline(nrays=100_000))
script = {}
exec(s4.build(s4.ToroidBeamline(nrays=1000)).to_python_code(), script)  # what a student would copy and change
assert (script["beam"].get_column(10) > 0).mean() > 0.5
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps({**dataclasses.asdict(result), "peak_mib": peak / 1024}))
""")
    assert status == "ok", text
    assert reply.duration_ms < DEFAULTS.cell_timeout * 1000
    result = json.loads(text.strip().splitlines()[-1])
    # 1:1 imaging: the spot is the source, within the aberrations and the counting noise.
    assert result["fwhm_h"] == pytest.approx(optics.FWHM_PER_SIGMA * 10e-6, rel=0.08)
    assert result["fwhm_v"] == pytest.approx(optics.FWHM_PER_SIGMA * 5e-6, rel=0.08)
    # The slit (±150 µm × ±75 µm at 5 m) against the Gaussian integral over the beam there.
    analytic = optics.gaussian_slit_transmission(150e-6, optics.beam_size(5.0, 10e-6, 20e-6))
    analytic *= optics.gaussian_slit_transmission(75e-6, optics.beam_size(5.0, 5e-6, 10e-6))
    assert result["transmitted"] == pytest.approx(analytic, rel=0.03)
    assert result["good_rays"] == round(result["transmitted"] * 100_000)
    assert result["radius"] == pytest.approx(optics.meridional_radius(10.0, 10.0, 3e-3))
    assert result["peak_mib"] < LIMITS.memory_mib


def test_demagnifying_mirror_with_a_rhodium_coating(kernel):
    """p = 20 m, q = 10 m: the spot halves; reflectivity from xraylib matches Fresnel's formula."""
    status, text, _ = kernel("""
import dataclasses, json, xraylib
import panlearn_shadow4 as s4, panlearn_optics as optics
config = s4.ToroidBeamline(nrays=50_000, p=20.0, q=10.0, slit_half_h=None, slit_half_v=None, coating="Rh",
                           coating_density=12.41)
result = s4.trace(config)
delta = 1 - xraylib.Refractive_Index_Re("Rh", 10.0, 12.41)
beta = xraylib.Refractive_Index_Im("Rh", 10.0, 12.41)
print(json.dumps({**dataclasses.asdict(result), "fresnel": optics.grazing_reflectivity(3e-3, delta, beta)}))
""")
    assert status == "ok", text
    result = json.loads(text.strip().splitlines()[-1])
    assert result["transmitted"] == 1.0
    assert result["intensity"] == pytest.approx(result["fresnel"], rel=0.01)
    assert 0.9 < result["intensity"] < 0.97  # below the critical angle (~6.7 mrad) but not total
    # The sagittal plane (horizontal) images cleanly; the meridional one shows the toroid's aberrations.
    assert result["fwhm_h"] == pytest.approx(optics.FWHM_PER_SIGMA * 10e-6 / 2, rel=0.08)
    assert optics.FWHM_PER_SIGMA * 5e-6 / 2 < result["fwhm_v"] < optics.FWHM_PER_SIGMA * 5e-6 * 0.75


def test_a_graded_exercise_traces_100k_rays_within_the_default_limits(grading_host):
    """The student's code traces in a grading job, forked from its parent, at the default limits."""
    student = """
import panlearn_shadow4 as s4
result = s4.trace(s4.ToroidBeamline(nrays=100_000, p=20.0, q=10.0, slit_half_h=None, slit_half_v=None))
spot = result.fwhm_h
"""
    test = {
        "name": "spot",
        "source": (
            "def test_spot():\n"
            "    import panlearn_optics as optics\n"
            "    expected = optics.FWHM_PER_SIGMA * 10e-6 * optics.magnification(20.0, 10.0)\n"
            "    assert abs(spot - expected) < 0.08 * expected, (spot, expected)\n"
        ),
        "function": "test_spot",
        "points": 1,
    }
    with grading_host.client() as client:
        result = client.grade(code=student, tests=[test])
    assert result["status"] == "completed", result
    assert result["tests"][0]["status"] == "passed", json.dumps(result)[:4000]
