"""The plot preview of text tables: which columns, what they are called, how a SPEC scan is drawn."""

from importlib.metadata import distribution
from pathlib import Path

import pytest

from content.preview import column_labels, text_preview
from content.spec import SpecColumns, is_mesh, normalised, scan_title, spec_columns

SPEC_FILE = Path(distribution("spec2nexus").locate_file("spec2nexus/data/33bm_spec.dat"))


@pytest.mark.parametrize(
    ("declared", "header", "expected"),
    [
        (["Q (Å⁻¹)", "R", "dR"], "# q r dr", ["Q (Å⁻¹)", "R", "dR"]),  # the registry wins
        ([], "# q r dr", ["q", "r", "dr"]),  # then the header
        ([], "#L Two Theta  Monitor  Detector", ["Two Theta", "Monitor", "Detector"]),  # SPEC, 2 spaces
        (["Q"], "# q r dr", ["Q", "r", "dr"]),  # a short registry list: the header names the rest
        (["Q"], "# a header that is prose", ["Q", "column 2", "column 3"]),
        ([], "", ["column 1", "column 2", "column 3"]),
    ],
)
def test_column_labels(declared, header, expected):
    assert column_labels(3, declared, header) == expected


def test_column_labels_fallback_names_an_unnamed_column():
    assert column_labels(1, [], "# XRF spectrum, see the header", fallback=("counts",)) == ["counts"]
    assert column_labels(1, ["intensity"], "", fallback=("counts",)) == ["intensity"]


def test_spec_columns_motor_against_normalised_detector():
    labels = ["theta", "H", "K", "L", "Epoch", "I0", "seconds", "signal"]
    columns = [[1.0, 1.1], [2.0, 2.0], [2.0, 2.0], [3.0, 3.0], [5.0, 9.0], [10.0, 10.0], [1.0, 1.0], [7.0, 8.0]]
    assert spec_columns(labels, columns) == SpecColumns(x=0, detector=7, monitor=5)


def test_spec_columns_of_an_hklscan_use_the_index_that_moves():
    labels = ["H", "K", "L", "Epoch", "Monitor", "Detector"]
    # H and K jitter in the last digits (computed from angles); L is what the scan moves.
    columns = [[2.0, 2.00001], [2.0, 2.0], [1.8, 1.9], [0.0, 1.0], [5.0, 5.0], [1.0, 2.0]]
    assert spec_columns(labels, columns) == SpecColumns(x=2, detector=5, monitor=4)


def test_spec_columns_without_a_monitor():
    assert spec_columns(["Column 1", "Column 2"], [[1.0, 2.0], [3.0, 4.0]]) == SpecColumns(0, 1, None)


def test_normalised_leaves_no_value_where_the_monitor_counted_nothing():
    assert normalised([10.0, 20.0, 5.0], [2.0, 0.0, 5.0]) == [5.0, None, 1.0]


def test_scan_titles_and_meshes():
    assert scan_title("#S 16  hklscan  2 2  2 2  1.8 2.05  253 1") == "Scan 16: hklscan 2 2 2 2 1.8 2.05 253 1"
    assert scan_title("#S 3") == "Scan 3"
    assert is_mesh("#S 17  hklmesh  H 1.9 2.1 100  K 1.9 2.1 100  -800000")
    assert is_mesh("#S 2 dmesh samx -1 1 10 samy -1 1 10 1")
    assert not is_mesh("#S 1  ascan  th 19.022 19.222  60 -20000")


def test_a_spec_file_plots_its_longest_1d_scan_as_a_normalised_line():
    """Not K against H with L as error bars: L (what scan 16 moves) against signal / I0."""
    preview = text_preview(SPEC_FILE)
    assert preview.title.startswith("Scan 16: hklscan")  # the hklmesh (scan 17) is longer but 2D
    assert (preview.xlabel, preview.ylabel) == ("L", "signal / I0")
    assert preview.errors is None
    assert preview.x[0] == pytest.approx(1.8) and preview.x[-1] > preview.x[0]
    assert preview.y[0] == pytest.approx(1478 / 527110)
