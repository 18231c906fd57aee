"""panlearn_optics, the formulas virtual-experiment lessons check ray traces against (plain Python here;
tests/runner/test_shadow4.py checks them against shadow4 in the sandbox)."""

import math
import sys

import numpy as np
import pytest

from runner.sandbox import KERNEL_LIB_SOURCE

sys.path.insert(0, str(KERNEL_LIB_SOURCE))
import panlearn_optics as optics


def test_radii_focus_p_onto_q_in_both_planes():
    p, q, theta = 30.0, 10.0, 3e-3
    radius, rho = optics.meridional_radius(p, q, theta), optics.sagittal_radius(p, q, theta)
    assert radius == pytest.approx(2 * 30 * 10 / (40 * math.sin(theta)))  # ~5000 m: a long, shallow bend
    assert rho == pytest.approx(2 * 30 * 10 * math.sin(theta) / 40)  # ~4.5 cm: a tight one
    for f in (optics.meridional_focal_length(radius, theta), optics.sagittal_focal_length(rho, theta)):
        assert f == pytest.approx(p * q / (p + q))
        assert optics.image_distance(p, f) == pytest.approx(q)
        assert optics.image_distance(q, f) == pytest.approx(p)  # light runs both ways


def test_image_distance_at_and_inside_the_focal_length():
    assert optics.image_distance(2.0, 2.0) == math.inf
    assert optics.image_distance(1.0, 2.0) == pytest.approx(-2.0)  # a virtual image
    assert optics.magnification(20.0, 10.0) == 0.5


def test_gaussian_slit_and_beam_size():
    assert optics.beam_size(0.0, 10e-6, 20e-6) == pytest.approx(10e-6)
    assert optics.beam_size(5.0, 10e-6, 20e-6) == pytest.approx(math.hypot(10e-6, 100e-6))
    assert optics.gaussian_slit_transmission(1.0, 1.0) == pytest.approx(0.682689, abs=1e-6)  # ±1 sigma
    assert optics.gaussian_slit_transmission(2.0, 1.0) == pytest.approx(0.954500, abs=1e-6)
    assert optics.gaussian_slit_transmission(1.0, 0.0) == 1.0
    rng = np.random.default_rng(1)
    rays = rng.normal(0.0, 3.0, 200_000)
    assert np.mean(np.abs(rays) < 2.0) == pytest.approx(optics.gaussian_slit_transmission(2.0, 3.0), abs=0.005)


def test_total_reflection_below_the_critical_angle():
    delta, beta = 2.2e-5, 1e-6  # rhodium near 10 keV
    critical = optics.critical_angle(delta)
    assert critical == pytest.approx(6.63e-3, rel=1e-2)
    assert optics.grazing_reflectivity(0.3 * critical, delta, 0.0) == pytest.approx(1.0)
    below = optics.grazing_reflectivity(0.5 * critical, delta, beta)
    above = optics.grazing_reflectivity(2.0 * critical, delta, beta)
    assert 0.85 < below < 1.0
    assert above < 0.01
    assert optics.grazing_reflectivity(0.5 * critical, 0.0, 0.0) == pytest.approx(0.0)  # vacuum reflects nothing


def test_fwhm_of_a_gaussian_and_of_a_flat_top():
    rng = np.random.default_rng(2)
    sigma = 7e-6
    assert optics.fwhm(rng.normal(1e-3, sigma, 100_000)) == pytest.approx(optics.FWHM_PER_SIGMA * sigma, rel=0.03)
    assert optics.fwhm(rng.uniform(-1.0, 1.0, 100_000), bins=100) == pytest.approx(2.0, rel=0.05)
    weights = np.where(np.arange(100_000) % 2 == 0, 1.0, 0.0)  # half the rays weigh nothing
    values = np.where(weights > 0, rng.normal(0.0, 1.0, 100_000), rng.normal(0.0, 10.0, 100_000))
    assert optics.fwhm(values, weights=weights, bins=400) == pytest.approx(optics.FWHM_PER_SIGMA, rel=0.05)
    assert optics.fwhm(np.ones(10)) == 0.0
    with pytest.raises(ValueError):
        optics.fwhm([1.0])


def test_fwhm_with_weights_centres_and_spans_its_histogram_on_the_weighted_rays():
    """Rays that weigh nothing (lost, or absorbed by a coating) move neither the histogram's centre nor its
    range: a beam of rms 1 with as many weightless rays 50 away has the FWHM of the beam alone."""
    rng = np.random.default_rng(3)
    beam, stray = rng.normal(0.0, 1.0, 50_000), rng.normal(50.0, 1.0, 50_000)
    values = np.concatenate([beam, stray])
    weights = np.concatenate([np.ones(beam.size), np.zeros(stray.size)])
    alone = optics.fwhm(beam, bins=100)
    assert alone == pytest.approx(optics.FWHM_PER_SIGMA, rel=0.03)
    # The same histogram but for the median (the lower middle value when weighted, the mean of the two not).
    assert optics.fwhm(values, weights=weights, bins=100) == pytest.approx(alone, rel=1e-3)
    # Weights that scale every ray alike change nothing.
    assert optics.fwhm(beam, weights=np.full(beam.size, 0.3), bins=100) == pytest.approx(alone, rel=1e-3)
    # And with the default bins (unweighted, the stray rays would centre the histogram on 25, 25 times as wide).
    assert optics.fwhm(values, weights=weights) == pytest.approx(optics.FWHM_PER_SIGMA, rel=0.05)
    for bad in (np.zeros(values.size), -weights, weights[:10]):
        with pytest.raises(ValueError):
            optics.fwhm(values, weights=bad)
