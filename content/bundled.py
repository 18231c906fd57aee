"""Registry of real photon and neutron (PaN) datasets shipped inside pinned packages.

Every entry describes example or test data files that are distributed inside a
published Python wheel. The files are not copied into this repository: they
are located at ``path`` relative to the ``site-packages`` directory once the
pinned package version is installed. ``columns`` names the columns of a text
table, with units where a source states them, for the plot preview; a file
without it (a SPEC file of many scans) is labelled from its own header. ``size`` and ``sha256`` were computed from
the bytes stored in the wheel, so they can be used to check the installed file.

``licence`` is the SPDX identifier of the licence under which the *package*
(and therefore the file) is distributed, taken from the wheel's dist-info
metadata and licence files. Provenance fields (facility, instrument, sample,
doi) are filled in only where a source that was read states them; anything
inferred or unknown is explained in ``notes``.

This module is pure data: it must not import Django or any project code.
"""

BUNDLED_DATASETS: tuple[dict, ...] = (
    {
        "id": "platypus-dmpc-bilayer",
        "title": "DMPC bilayer at the solid-liquid interface, three neutron contrasts (Platypus)",
        "description": (
            "Neutron reflectivity curves of a DMPC phospholipid bilayer on a "
            "silicon/silicon-oxide substrate, measured against three water "
            "contrasts. The set is the standard refnx example for co-refining "
            "several contrasts with one lipid-leaflet model."
        ),
        "technique": "reflectometry",
        "facility": "ANSTO",
        "instrument": "Platypus",
        "sample": "DMPC (1,2-dimyristoyl-sn-glycero-3-phosphocholine) bilayer on Si/SiO2",
        "licence": "BSD-3-Clause",
        "citation": (
            "Nelson, A.R.J. & Prescott, S.W. (2019). refnx: neutron and X-ray "
            "reflectometry analysis in Python. J. Appl. Cryst. 52, "
            "https://doi.org/10.1107/S1600576718017296 (the refnx paper, which the "
            "refnx docs ask users to cite)."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "refnx", "version": "0.1.67"},
        "files": [
            {
                "path": "refnx/analysis/tests/c_PLP0016596.dat",
                "name": "c_PLP0016596.dat",
                "format": "text",
                "size": 13701,
                "sha256": "3a4728c3a516a94bdd0667946edb1d8a3fad7b9b97887bc9409c8b65355162c4",
                "description": "D2O contrast (solvent SLD about 6.36e-6 / A^2); columns Q, R, dR, dQ",
                "columns": ["Q (Å⁻¹)", "R", "dR", "dQ (Å⁻¹)"],
            },
            {
                "path": "refnx/analysis/tests/c_PLP0016601.dat",
                "name": "c_PLP0016601.dat",
                "format": "text",
                "size": 9704,
                "sha256": "8cbf41e27d1b6195192efa10cedc6304b3caa07c4c068645f4a51ff5413aa767",
                "description": (
                    "hdmix (H2O/D2O mixture contrast-matched to silicon, SLD about 2.07e-6 / A^2); columns Q, R, dR, dQ"
                ),
                "columns": ["Q (Å⁻¹)", "R", "dR", "dQ (Å⁻¹)"],
            },
            {
                "path": "refnx/analysis/tests/c_PLP0016607.dat",
                "name": "c_PLP0016607.dat",
                "format": "text",
                "size": 10404,
                "sha256": "fdf2f5ddf635969b6d981fa14783d8270a876704ff34eef90c4814abad286841",
                "description": "H2O contrast (solvent SLD about -0.56e-6 / A^2); columns Q, R, dR, dQ",
                "columns": ["Q (Å⁻¹)", "R", "dR", "dQ (Å⁻¹)"],
            },
        ],
        "notes": (
            "The contrast of each file comes from the refnx 'Analysing lipid "
            "membrane data' notebook (doc/lipid.ipynb), which loads 16596 as d2o, "
            "16601 as hdmix and 16607 as h2o; refnx's own tests in 0.1.67 only use "
            "16596 (D2O). The PLP prefix is the Platypus run-number prefix used by "
            "refnx.reduce, and refnx describes Platypus as an ANSTO instrument. The "
            "files have no header, so the measurement date, proposal and the "
            "experimenters are not stated anywhere we read, and no dataset DOI is "
            "given. The citation is for the refnx software paper, not a paper "
            "about this measurement. The refnx wheel has no licence file in its "
            "dist-info; BSD-3-Clause comes from its License-Expression metadata. "
            "Column units follow refnx, which writes Q and dQ (FWHM resolution) in 1/A."
        ),
    },
    {
        "id": "isis-sans2d-oriented-surfactant",
        "title": "Magnetically oriented surfactant liquid crystal, 1D SANS (ISIS SANS2D run 33837)",
        "description": (
            "A radially averaged time-of-flight SANS curve, I(Q), of a surfactant "
            "liquid crystal oriented in a magnetic field. The same reduced data "
            "are provided as an NXcanSAS HDF5 file and as a canSAS 1D XML file, "
            "both written by Mantid."
        ),
        "technique": "small-angle-scattering",
        "facility": "ISIS",
        "instrument": "SANS2D",
        "sample": "Magnetically-oriented surfactant liquid crystal (run title MH4_5deg_16T_SLOW)",
        "licence": "BSD-3-Clause",
        "citation": (
            "Example data distributed with sasdata (SasView project), "
            "Copyright (c) 2009-2025 SasView Developers, BSD-3-Clause."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "sasdata", "version": "0.11.0"},
        "files": [
            {
                "path": "sasdata/example_data/1d_data/33837rear_1D_1.75_16.5_NXcanSAS.h5",
                "name": "33837rear_1D_1.75_16.5_NXcanSAS.h5",
                "format": "nxcanSAS",
                "size": 35840,
                "sha256": "4d80fb0977c69f37a7e24f32ef641d1754f186f67907167cc0d1402492e5496a",
                "description": (
                    "NXcanSAS HDF5: I(Q) with uncertainties (66 points) from the "
                    "rear detector, plus the sample transmission spectrum"
                ),
            },
            {
                "path": "sasdata/example_data/1d_data/33837rear_1D_1.75_16.5_CanSAS1D.xml",
                "name": "33837rear_1D_1.75_16.5_CanSAS1D.xml",
                "format": "text",
                "size": 15115,
                "sha256": "4d994cddf72b972e0cc4930cc726e4cc6003e4b88a65c5e56a0cc044a9fbbed3",
                "description": "The same 1D reduction in the canSAS 1D XML text format",
            },
        ],
        "notes": (
            "The sasdata help file (example_data/media/testdata_help.rst) attributes "
            "33837rear_1D_1.75_16.5 to the SANS2D instrument at ISIS and says it was "
            "output by Mantid v3.6. The NXcanSAS file itself records run 33837, "
            "instrument SANS2D, title MH4_5deg_16T_SLOW and processing on "
            "11 May 2016. The surfactant's identity, the field strength and the "
            "experimenters are not stated beyond that run title; no DOI is given. "
            "The CanSAS1D file is XML; it is labelled 'text' because the registry "
            "has no XML format value."
        ),
    },
    {
        "id": "isis-loq-polyamide6-fibres",
        "title": "Polyamide-6 fibres hydrated in D2O, 1D SANS (ISIS LOQ run 98929)",
        "description": (
            "A time-of-flight SANS curve from polyamide-6 fibres hydrated in heavy "
            "water, showing a broad lamellar peak from the semi-crystalline "
            "structure. It is provided in the ISIS 1D text format with errors and "
            "as a plain two-column Q, I text file."
        ),
        "technique": "small-angle-scattering",
        "facility": "ISIS",
        "instrument": "LOQ",
        "sample": "Polyamide-6 fibres hydrated in D2O",
        "licence": "BSD-3-Clause",
        "citation": (
            "Example data distributed with sasdata (SasView project), "
            "Copyright (c) 2009-2025 SasView Developers, BSD-3-Clause."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "sasdata", "version": "0.11.0"},
        "files": [
            {
                "path": "sasdata/example_data/1d_data/ISIS_98929.TXT",
                "name": "ISIS_98929.TXT",
                "format": "text",
                "size": 6599,
                "sha256": "be7fab4c18087a179bac338e4900be3082c4b33069c12b8193298db48be97692",
                "description": ("ISIS (COLETTE/RKH-style) 1D text file with a short header; columns Q, I, dI"),
                "columns": ["Q (Å⁻¹)", "I(Q)", "dI"],
            },
            {
                "path": "sasdata/example_data/1d_data/98929.txt",
                "name": "98929.txt",
                "format": "text",
                "size": 2100,
                "sha256": "770cf65e1dcd1519d11af3b006afbcd91c76c75280e0312a7e5a7f739b988688",
                "description": "Simple two-column (Q, I) text version of the same data, without errors",
                "columns": ["Q (Å⁻¹)", "I(Q)"],
            },
        ],
        "notes": (
            "testdata_help.rst attributes ISIS_83404 / ISIS_98929 to the LOQ "
            "instrument at ISIS and describes 98929 as a simple two-column variant "
            "of ISIS_98929. The ISIS_98929.TXT header gives LOQ, 4 June 2003, "
            "sample run 98929 and empty-can run 98931. Fibre origin, the degree of "
            "hydration and the experimenters are not stated; no DOI is given. The "
            "help file says the same data also exist as BSL/OTOKO Z9800* files, "
            "which are not listed here. Column units: Q in 1/A, the unit sasdata's "
            "text readers assume; the files do not state the unit of I, so it is left off."
        ),
    },
    {
        "id": "isis-loq-polystyrene-blends",
        "title": "Deuterated/hydrogenous polystyrene blends, 1D SANS (ISIS LOQ, TK49 and RT2 standards)",
        "description": (
            "Time-of-flight SANS curves, I(Q), of two monodisperse blends of "
            "deuterated (d8) and hydrogenous (h8) polystyrene of different molar "
            "mass. The contrast between the d and h chains makes single chains "
            "visible, so the curves show the Guinier region and Gaussian-coil "
            "scattering of polymer chains in the melt. Both are canSAS 1D XML "
            "files written by Mantid."
        ),
        "technique": "small-angle-scattering",
        "facility": "ISIS",
        "instrument": "LOQ",
        "sample": (
            "Polystyrene blends: 49 wt% d8-PS / 51 wt% h8-PS, Mw about 77500 g/mol (TK49); "
            "52 wt% d8-PS / 48 wt% h8-PS, Mw about 54180 g/mol (RT2)"
        ),
        "licence": "BSD-3-Clause",
        "citation": (
            "Example data distributed with sasdata (SasView project), "
            "Copyright (c) 2009-2025 SasView Developers, BSD-3-Clause."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "sasdata", "version": "0.11.0"},
        "files": [
            {
                "path": "sasdata/example_data/1d_data/ISIS_Polymer_Blend_TK49.xml",
                "name": "ISIS_Polymer_Blend_TK49.xml",
                "format": "text",
                "size": 24189,
                "sha256": "8459c898c378ca73421d47805581e561151050326b460c4c5ac4381daba47f0c",
                "description": (
                    "canSAS 1D XML (urn:cansas1d:1.1), run 80514 'LOQ_Standard_TK49_SANS': "
                    "I(Q) with Idev (102 points, Q 0.009 to 0.269 1/A; Qdev recorded as 0), "
                    "plus sample and can transmission spectra"
                ),
            },
            {
                "path": "sasdata/example_data/1d_data/ISIS_Polymer_Blend_RT2.xml",
                "name": "ISIS_Polymer_Blend_RT2.xml",
                "format": "text",
                "size": 28242,
                "sha256": "535b31de7848d678672384207993a3e4c895838b9a7d173f59599e89e61041de",
                "description": (
                    "canSAS 1D XML (urn:cansas1d:1.1), run 104977 'LOQ Standard RT2_SANS': "
                    "I(Q) with Idev and Qdev (124 points, Q 0.008 to 0.254 1/A), "
                    "plus sample and can transmission spectra"
                ),
            },
        ],
        "notes": (
            "The sasdata help file (example_data/media/testdata_help.rst) describes "
            "ISIS_Polymer_Blend_TK49 as TOF-SANS from a monodisperse (Mw/Mn~1.02) "
            "blend of 49wt% d8-polystyrene : 51wt% h8-polystyrene collected on LOQ "
            "at ISIS, Mw~77500 g/mol, Rg~74 Ang, output by Mantid v2.6; and "
            "ISIS_Polymer_Blend_RT2 as a monodisperse (Mw/Mn~1.03) blend of 52wt% "
            "d8-polystyrene : 48wt% h8-polystyrene on LOQ, Mw~54180 g/mol, Rg~58 Ang, "
            "output by Mantid v3.12. The files themselves record instrument LOQ, "
            "runs 80514 (processed 10 Oct 2013, Mantid 2.6) and 104977 (processed "
            "21 Jun 2018, Mantid 3.12.1, sample thickness 1.1 mm, can transmission "
            "run 104975). The help file does not say how the Rg values were obtained, "
            "nor whether Mw refers to the d or the h component; the measurement "
            "temperature and the experimenters are not stated; no DOI is given. The "
            "files are XML; they are labelled 'text' because the registry has no XML "
            "format value."
        ),
    },
    {
        "id": "ipns-lrmecs-mgb2",
        "title": "MgB2 phonon density of states, direct-geometry chopper spectrometer (IPNS LRMECS)",
        "description": (
            "Raw time-of-flight neutron counts against detector polar angle from "
            "a powder of magnesium diboride at 8 K, measured with a Fermi-chopper "
            "spectrometer. The file is a NeXus (HDF5) NXdirecttof entry and "
            "includes two beam monitors."
        ),
        "technique": "inelastic-scattering",
        "facility": "IPNS",
        "instrument": "LRMECS",
        "sample": "Magnesium diboride (MgB2), 43.37 g, 8 K",
        "licence": "BSD-3-Clause",
        "citation": (
            "Example file distributed with nexusformat (NeXpy project), "
            "Copyright (c) 2014-2025 NeXpy Development Team, Modified BSD License."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "nexusformat", "version": "2.1.0"},
        "files": [
            {
                "path": "nexusformat/examples/chopper.nxs",
                "name": "chopper.nxs",
                "format": "nexus",
                "size": 388872,
                "sha256": "8a4f3312a734bdde87286c1bbd013af974a4d9153fd0a850b77b076652393a15",
                "description": (
                    "NeXus HDF5, entry /entry (definition NXdirecttof, run 3701): "
                    "148 x 750 counts array (polar angle x time of flight), "
                    "monitor1 and monitor2"
                ),
            },
        ],
        "notes": (
            "Facility, instrument and sample come from the file's own fields: "
            "/entry/instrument/source/name = IPNS, /entry/instrument/name = LRMECS, "
            "/entry/sample/name = Magnesium Diboride (MgB2, 8 K), title 'MgB2 PDOS "
            "43.37g 8K 120meV E0@240Hz T0@120Hz', start 2001-02-07, end 2001-02-09. "
            "The chopper's nominal energy field reads 130 meV but the title says "
            "120 meV; both are left as recorded. The experimenters and any "
            "publication or DOI are not stated in the file or the package."
        ),
    },
    {
        "id": "aps-spec-33bm-lno-lao",
        "title": "SPEC diffractometer scans including hklscan and hklmesh (spec2nexus 33bm_spec.dat)",
        "description": (
            "A SPEC data file of 17 four-circle diffractometer scans: rocking and "
            "2-theta scans, reciprocal-space hklscans and a 2D hklmesh. It is a "
            "compact real example of the SPEC text format used at synchrotron "
            "beamlines."
        ),
        "technique": "diffraction",
        "facility": "",
        "instrument": "",
        "sample": "LNO_LAO (sample label from the file; composition not stated)",
        "licence": "CC-BY-4.0",
        "citation": (
            "Jemian, P.R. spec2nexus (software), Zenodo, "
            "https://doi.org/10.5281/zenodo.6264513 (citation given in the "
            "spec2nexus package metadata). Data file: spec2nexus/data/33bm_spec.dat, "
            "spec2nexus 2021.2.8, CC-BY-4.0."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "spec2nexus", "version": "2021.2.8"},
        "files": [
            {
                "path": "spec2nexus/data/33bm_spec.dat",
                "name": "33bm_spec.dat",
                "format": "spec",
                "size": 1234202,
                "sha256": "9cc8f4a040e03335d1e5cc2c51ca3bb65688f9dfb40275831487bcbb80c544c6",
                "description": (
                    "SPEC file (#F LNO_LAO, dated 16 June 2010), scans 1-17: "
                    "ascans of th, chi, tth and phi, hklscans (scan 15 aborted "
                    "after 0 points) and an hklmesh (scan 17)"
                ),
            },
        ],
        "notes": (
            "NOT CONFIRMED AS APS 33-BM. spec2nexus's data/README.txt only "
            "describes this file as '1-D & 2-D scans (includes hklscan & hklmesh)' "
            "and does not name a facility or beamline. The file name (33bm_spec.dat), "
            "the header comment 'User = epix33bm' and storage-ring header fields "
            "(SR_current etc.) suggest APS sector 33 bending-magnet beamline 33-BM, "
            "but no source we read says so, so facility and instrument are left "
            "blank. 'LNO_LAO' is the file/sample label; the materials are not "
            "spelled out. The DOI in the citation is for the spec2nexus software, "
            "not for this data. The licence is the package's (License-Expression "
            "CC-BY-4.0), so attribution is required."
        ),
    },
    {
        "id": "pymca-xrf-thin-standard",
        "title": "XRF spectrum of a multi-element thin-sample standard (PyMca training spectrum)",
        "description": (
            "A single energy-dispersive X-ray fluorescence spectrum stored as one "
            "column of counts per channel, with a header describing the set-up. "
            "PyMca uses it as its XRF training spectrum, covering calibration, "
            "peak identification, fitting and quantification."
        ),
        "technique": "x-ray-fluorescence",
        "facility": "Laboratory (Mo X-ray tube)",
        "instrument": "",
        "sample": "Multi-element thin sample standard",
        "licence": "MIT",
        "citation": (
            "PyMca5 training data (PyMca5/PyMcaData/XRFSpectrum.mca), "
            "Copyright (c) 2004-2023 European Synchrotron Radiation Facility (ESRF), "
            "MIT licence."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "PyMca5", "version": "5.9.7"},
        "files": [
            {
                "path": "PyMca5/PyMcaData/XRFSpectrum.mca",
                "name": "XRFSpectrum.mca",
                "format": "mca",
                "size": 63385,
                "sha256": "6b3fac12d2bb5df03f32592c773cba1bca5b66df6aad85aedbe0a7040c19b07d",
                "description": (
                    "Single-column counts per channel after a '#' comment header; the main Co peak is near channel 1474"
                ),
                "columns": ["counts"],
            },
        ],
        "notes": (
            "The file header gives the conditions: excitation around 17.5 keV "
            "from a monochromatised Mo X-ray tube, a 450 micron Si detector with "
            "8 micron Be window, 0.1 degree incidence and 90 degree exit angles, "
            "2 mm air path, and suggests modelling the sample as 100 micron water "
            "with 500 ppm Co. It is a laboratory tube measurement, so facility "
            "records only that; the laboratory, instrument and date are not stated. No "
            "citation or DOI is given for the data. Licence: PyMcaData/* is Expat "
            "(MIT) per the package's Debian-style copyright file and LICENSE."
        ),
    },
    {
        "id": "pymca-cu-exafs",
        "title": "Cu K-edge X-ray absorption spectrum (PyMca EXAFS example)",
        "description": (
            "An X-ray absorption spectrum across the copper K edge, given as energy "
            "in eV against an absorption signal, in a minimal SPEC-format file. "
            "PyMca uses it as the default example in its XAS normalisation and "
            "EXAFS tools."
        ),
        "technique": "absorption-spectroscopy",
        "facility": "",
        "instrument": "",
        "sample": "",
        "licence": "MIT",
        "citation": (
            "PyMca5 example data (PyMca5/PyMcaData/EXAFS_Cu.dat), "
            "Copyright (c) 2004-2023 European Synchrotron Radiation Facility (ESRF), "
            "MIT licence."
        ),
        "doi": "",
        "source": {"kind": "package", "package": "PyMca5", "version": "5.9.7"},
        "files": [
            {
                "path": "PyMca5/PyMcaData/EXAFS_Cu.dat",
                "name": "EXAFS_Cu.dat",
                "format": "spec",
                "size": 27981,
                "sha256": "7c220b65258c13cf521c72f4ef6614f32fc9611f00e793afc4b8620f30847253",
                "description": (
                    "SPEC file with one scan (#S 1 cu.dat), two columns: energy (about 8003-9979 eV) and absorption"
                ),
                "columns": ["energy (eV)", "absorption"],
            },
        ],
        "notes": (
            "The file header only states '#F D:/Cu-EXAFS.dat', a date of 4 June "
            "2012 and unlabelled columns. The Cu K-edge assignment comes from the "
            "file name and the energy range; the sample (e.g. whether it is a Cu "
            "foil), the facility, the beamline and whether the signal is "
            "transmission or fluorescence are not stated, so they are left blank. "
            "No citation or DOI is given for the data."
        ),
    },
)
