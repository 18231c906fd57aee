"""Settings of the RQ worker processes that tests/tasks/test_rq.py starts: the test settings, on the test
database and the test's Redis database, with the tasks on RQ and the test's kernel host."""

import json
import os

from panlearn.settings.test import *  # noqa: F403
from panlearn.settings.test import DATABASES, RQ_TASK_QUEUES, TASK_BACKENDS

DATABASES["default"]["NAME"] = os.environ["PANLEARN_TEST_DATABASE_NAME"]
# Persistent, as in production, where a test asks for it (the test settings close connections per job).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("PANLEARN_TEST_CONN_MAX_AGE", "0"))
TASKS = {"default": TASK_BACKENDS["rq"]}
RQ_QUEUES = {name: {"URL": os.environ["REDIS_URL"], "DEFAULT_TIMEOUT": 900} for name in RQ_TASK_QUEUES}
PANLEARN_RUNNER_BACKEND = "host"
PANLEARN_RUNNER_SOCKET = os.environ["PANLEARN_RUNNER_SOCKET"]
# Learning records go to the test's loopback LRS, when it names one.
PANLEARN_TRACKING_LRS = json.loads(os.environ.get("PANLEARN_TRACKING_LRS", "[]"))
PANLEARN_TRACKING_STORE_ENABLED = os.environ.get("PANLEARN_TRACKING_STORE_ENABLED", "true") == "true"
PANLEARN_TRACKING_HTTP_TIMEOUT = 30
