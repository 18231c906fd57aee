"""X-ray optics by hand: the formulas a virtual-experiment lesson checks a ray trace against.

Pure Python and numpy, so that a lesson (or an exercise's hidden tests) can compare shadow4's rays with
the textbook answer in the sandbox. Lengths in metres, angles in radians, grazing angles measured from
the mirror's surface (not its normal).

A curved mirror at grazing angle θ images like a lens, with one focal length per plane:
meridional (the plane of reflection) f = R sinθ / 2, sagittal f = ρ / (2 sinθ), and 1/p + 1/q = 1/f.
"""

import math

import numpy as np

FWHM_PER_SIGMA = 2 * math.sqrt(2 * math.log(2))  # 2.3548...


def meridional_focal_length(radius: float, grazing_angle: float) -> float:
    """f of a mirror of radius R in the plane of reflection: 1/p + 1/q = 2 / (R sinθ)."""
    return radius * math.sin(grazing_angle) / 2


def sagittal_focal_length(radius: float, grazing_angle: float) -> float:
    """f of a mirror of radius ρ across the plane of reflection: 1/p + 1/q = 2 sinθ / ρ."""
    return radius / (2 * math.sin(grazing_angle))


def meridional_radius(p: float, q: float, grazing_angle: float) -> float:
    """The radius R that images a source at p onto q in the plane of reflection."""
    return 2 * p * q / ((p + q) * math.sin(grazing_angle))


def sagittal_radius(p: float, q: float, grazing_angle: float) -> float:
    """The radius ρ that images a source at p onto q across the plane of reflection."""
    return 2 * p * q * math.sin(grazing_angle) / (p + q)


def image_distance(p: float, focal_length: float) -> float:
    """q from the lens equation 1/p + 1/q = 1/f; infinite when the source sits in the focal plane,
    negative for a virtual image (source inside the focal length)."""
    inverse = 1 / focal_length - 1 / p
    return math.inf if inverse == 0 else 1 / inverse


def magnification(p: float, q: float) -> float:
    """Image size over source size for a point-to-point focus."""
    return q / p


def beam_size(distance: float, sigma: float, sigma_prime: float) -> float:
    """The rms size of a Gaussian beam `distance` after its waist (source size and divergence add in
    quadrature)."""
    return math.hypot(sigma, distance * sigma_prime)


def gaussian_slit_transmission(half_width: float, sigma: float) -> float:
    """The fraction of a centred Gaussian beam of rms `sigma` that passes a slit of ± `half_width`."""
    if sigma <= 0:
        return 1.0 if half_width > 0 else 0.0
    return math.erf(half_width / (sigma * math.sqrt(2)))


def grazing_reflectivity(grazing_angle: float, delta: float, beta: float) -> float:
    """Fresnel reflectivity (s polarisation, which at grazing incidence equals p) of a thick, smooth
    surface of refractive index n = 1 - δ + iβ. Total reflection below the critical angle √(2δ)."""
    n = complex(1 - delta, beta)
    sin_t = math.sin(grazing_angle)
    root = np.sqrt(n * n - math.cos(grazing_angle) ** 2)
    r = (sin_t - root) / (sin_t + root)
    return float(abs(r) ** 2)


def critical_angle(delta: float) -> float:
    """The grazing angle below which x-rays are totally reflected (β neglected)."""
    return math.sqrt(2 * delta)


def fwhm(values, *, weights=None, bins: int | None = None) -> float:
    """Full width at half maximum of a distribution of ray coordinates, from a histogram with the
    half-maximum crossings interpolated linearly (a bin-wide answer is too coarse to compare with a
    source size). The histogram spans ±4 rms around the median; with `weights` (a ray's intensity)
    the median and the rms are weighted too, so that rays weighing nothing move neither the centre
    nor the range. `bins` sets the number of bins (by default from the number of values)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        raise ValueError("fwhm needs at least two values")
    if weights is None:
        centre, spread = float(np.median(values)), float(np.std(values))
    else:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != values.shape or (weights < 0).any() or not weights.sum() > 0:
            raise ValueError("fwhm needs one non-negative weight per value, not all zero")
        centre, spread = _weighted_median(values, weights), _weighted_std(values, weights)
    if spread == 0:
        return 0.0
    bins = bins or max(20, min(200, int(2 * values.size ** (1 / 3))))
    counts, edges = np.histogram(values, bins=bins, range=(centre - 4 * spread, centre + 4 * spread), weights=weights)
    middles = (edges[:-1] + edges[1:]) / 2
    peak = int(np.argmax(counts))
    half = _peak_height(middles, counts, peak) / 2
    left = peak
    while left > 0 and counts[left] > half:
        left -= 1
    right = peak
    while right < counts.size - 1 and counts[right] > half:
        right += 1
    return _crossing(middles, counts, right - 1, right, half) - _crossing(middles, counts, left, left + 1, half)


def _weighted_median(values, weights) -> float:
    """The value below which half the weight lies (the lower of the two middle ones on a tie)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _weighted_std(values, weights) -> float:
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


def _peak_height(x, y, peak: int) -> float:
    """The top of a parabola through the bins above 70 % of the highest: the highest bin alone is
    biased upwards by counting noise, which would narrow the width by a few per cent."""
    left = right = peak
    while left > 0 and y[left - 1] > 0.7 * y[peak]:
        left -= 1
    while right < y.size - 1 and y[right + 1] > 0.7 * y[peak]:
        right += 1
    if right - left < 2:
        return float(y[peak])
    a, b, c = np.polyfit(x[left : right + 1], y[left : right + 1], 2)
    return float(c - b * b / (4 * a)) if a < 0 else float(y[peak])


def _crossing(x, y, i: int, j: int, level: float) -> float:
    if y[j] == y[i]:
        return float(x[i])
    return float(x[i] + (level - y[i]) * (x[j] - x[i]) / (y[j] - y[i]))
