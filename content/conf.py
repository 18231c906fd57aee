"""Operator settings of the content app's remote sources, with their defaults (see docs/operator.md).

Read at call time through django.conf.settings, never imported directly by the resolvers.
"""

from panlearn.settings.env import env_bool, env_int, env_str

# Zenodo: records API root (https://zenodo.org/api/records/<id>).
PANLEARN_CONTENT_ZENODO_URL = env_str("PANLEARN_CONTENT_ZENODO_URL", "https://zenodo.org")
# PaNOSC Search API root that answers /documents and /datasets with a LoopBack `filter`; the federated
# search behind the open data portal (https://data.panosc.eu) is published at this address.
PANLEARN_CONTENT_PANOSC_URL = env_str("PANLEARN_CONTENT_PANOSC_URL", "https://federated.scicat.ess.eu/api")
# The Search API lists files (name, path, size) without download links. A facility that serves them over
# HTTP can be given here, e.g. "https://data.example.org/{pid}/{path}/{name}" ({pid}, {doi}, {path}, {name}
# are URL-quoted); empty means files are listed for trainers but not downloadable.
PANLEARN_CONTENT_PANOSC_DOWNLOAD_TEMPLATE = env_str("PANLEARN_CONTENT_PANOSC_DOWNLOAD_TEMPLATE", "")
# ESRF ICAT+ server (DOIs 10.15151/ESRF-ES-… and ESRF-DC-…).
PANLEARN_CONTENT_ICAT_URL = env_str("PANLEARN_CONTENT_ICAT_URL", "https://icatplus.esrf.fr")
# SciCat backend API root, v3 paths (/publisheddata, /datasets); a v4 backend still serves them.
PANLEARN_CONTENT_SCICAT_URL = env_str("PANLEARN_CONTENT_SCICAT_URL", "https://scicat.ess.eu/api/v3")
# Seconds to wait for a remote source before giving up (connect and each read).
PANLEARN_CONTENT_HTTP_TIMEOUT = env_int("PANLEARN_CONTENT_HTTP_TIMEOUT", 20)
# Largest file (bytes) panlearn downloads from a remote source.
PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES = env_int("PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES", 512 * 1024 * 1024)

# Where files of datasets from remote sources are downloaded to: <dir>/<dataset id>/<file name>.
PANLEARN_CONTENT_CACHE_DIR = env_str("PANLEARN_CONTENT_CACHE_DIR", "var/dataset-cache")
# The largest slice (bytes) the HDF5 viewer reads for one request.
PANLEARN_CONTENT_VIEWER_MAX_BYTES = env_int("PANLEARN_CONTENT_VIEWER_MAX_BYTES", 64 * 1024 * 1024)
# Let remote sources point at http:// and private or loopback addresses. Off: a record published by
# anyone must not make the server fetch its own services. The test suite turns it on for its loopback servers.
PANLEARN_CONTENT_ALLOW_LOCAL_SOURCES = env_bool("PANLEARN_CONTENT_ALLOW_LOCAL_SOURCES", False)
