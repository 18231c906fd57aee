"""The demo course built on real facility data: one lesson per analysis in `demo.material.analyses`.

Each lesson attaches its datasets with the dataset block (mounted at /data/<id>/ in code cells,
shown with the viewer or a plot) and gives the analysis as numbered code steps. The lesson text
is the analysis's own introduction, so what the tests run is what students run, as live code cells.
"""

from .analyses import ANALYSES, Analysis
from .exercises import CODE_EXERCISES

# The file (and HDF5 path) each lesson opens in its viewer or plot.
VIEWED_FILES = {
    "platypus-dmpc-bilayer": ("c_PLP0016596.dat", ""),
    "ipns-lrmecs-mgb2": ("chopper.nxs", "/entry/data"),
    "isis-sans2d-oriented-surfactant": ("33837rear_1D_1.75_16.5_NXcanSAS.h5", ""),
}


def lesson_spec(analysis: Analysis) -> dict:
    # The first sentence is the lesson's lead (its summary, shown above the body); the body goes on from there.
    lead, _, rest = analysis.intro.partition(". ")
    body = [("text", f"<p>{rest}</p>")] if rest else []
    for dataset in analysis.datasets:
        name, path = VIEWED_FILES.get(dataset, ("", ""))
        body.append(("dataset", {"dataset": dataset, "file": name, "path": path, "show_viewer": bool(name)}))
    body.append(
        (
            "callout",
            {
                "kind": "tip",
                "title": "Run it yourself",
                "body": "<p>Run the steps in order in one session: later steps use what earlier ones defined. "
                "The data are mounted read-only under <code>/data/</code>.</p>",
            },
        )
    )
    for cell in analysis.cells:
        # Live cells: the lesson's dataset blocks mount the data in the student's kernel.
        code_cell = {"code": cell, "datasets": [], "setup_code": "", "read_only": False, "example_output": ""}
        body.append(("code_cell", code_cell))
    for exercise in CODE_EXERCISES:
        if exercise["lesson"] == analysis.slug:
            body.append(("exercise", {"exercise": exercise["title"]}))
    summary = lead if lead.endswith(".") or not rest else lead + "."
    return {"title": analysis.title, "slug": analysis.slug, "summary": summary, "body": body}


DATA_COURSE = {
    "title": "Analysing real facility data with Python",
    "slug": "facility-data-analysis",
    "summary": (
        "Real, openly published data from neutron sources, analysed step by step in Python: a lipid bilayer "
        "fitted to three reflectometry contrasts, radii of gyration from SANS, and a chopper spectrometer's "
        "time of flight turned into energy transfer."
    ),
    "level": "intermediate",
    "estimated_minutes": 120,
    "prerequisites": (
        "<p>Basic Python with numpy (arrays, slicing, plotting with matplotlib) and an idea of what a "
        "scattering experiment measures. The reflectometry course is a good first step.</p>"
    ),
    "learning_outcomes": [
        "Open facility data files (text tables, NXcanSAS, NeXus) and find the numbers and units in them.",
        "Write a physical model as a function and fit it by weighted least squares with uncertainties.",
        "Judge whether a fit makes physical sense: ranges, residuals, parameters stuck at bounds.",
        "Convert raw time-of-flight counts into physical units with the right Jacobian.",
    ],
    "technique": None,
    "facility": "ISIS",
    "instructors": [{"name": "Dr. Ada Example", "affiliation": "panlearn demo", "orcid": ""}],
    "licence": "CC-BY-4.0",
    "enrolment": "open",
    "open_to_visitors": True,  # anyone may try the cells without an account (nothing is saved)
    "lessons": [lesson_spec(analysis) for analysis in ANALYSES],
}
