"""GET with filters on the built-in statement store holding 1 million statements, on PostgreSQL (issue 18).

    .venv/bin/python bench/store_query_bench.py [--quick] [--statements 1000000] [--json]

Set-up: a throwaway database on postgres://postgres@127.0.0.1:5432 (created, migrated, dropped at the
end). It is seeded in SQL (generate_series, so a million rows take about a minute, not an hour of POSTs),
with what a busy site would hold: 5,000 learners, 20 verbs, 100 courses of 20 activities each, a
registration on every statement (one per learner and course), one statement in a hundred a StatementRef
to an earlier one, `stored` one millisecond apart. Each row is what `services.statements_store` writes
(the same columns and payload shape); then ANALYZE.

Measured: the Statements resource's GET through Django's test client (URL routing, basic auth, the view,
the selectors' SQL, the JSON), per kind of query, with a fresh choice of learner, verb, activity or
registration each time:
- agent; verb; activity; activity with related_activities=true (the course); registration;
  agent and verb; since (the last minute); and the `more` page after a verb's first page (keyset).
`store_query_1m_p95_ms` is the p95 over all of them (target <= 50 ms). Baseline, alternated with them: the
same GET with no filter (the newest page), `store_query_ratio` the p95 over the baseline's p95.

Apart from them, `store_query_rare_old_verb_p50_ms`: a verb that 2,500 of the oldest 5,000 statements carry
and no later one, whose newest page reaches back to the store's start. It was the worst case while refs'
chains were followed at read time (every ref between the page's ends: 1.1-1.6 s a GET); the store now keeps
them as rows (tracking/store/refs.py), built here after the seed as the migration builds them.

With --json the LAST line is one JSON object.
"""

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
TARGET_P95_MS = 50.0
LEARNERS, VERBS, COURSES, ACTIVITIES_PER_COURSE = 5000, 20, 100, 20
HOME = "https://learn.example.org"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


SEED_SQL = """
INSERT INTO {table} (statement_id, payload, actor_key, object_agent_key, related_agent_keys, verb, object_iri,
                     target_id, course_iri, registration, "timestamp", stored, voided, client_id, by_panlearn)
SELECT s.id, jsonb_build_object(
           'id', s.id, 'actor', jsonb_build_object('objectType', 'Agent', 'mbox', s.mbox),
           'verb', jsonb_build_object('id', s.verb, 'display', jsonb_build_object('en-US', 'did')),
           'object', CASE WHEN s.ref IS NULL
               THEN jsonb_build_object('objectType', 'Activity', 'id', s.activity)
               ELSE jsonb_build_object('objectType', 'StatementRef', 'id', s.ref) END,
           'context', jsonb_build_object('registration', s.registration, 'contextActivities',
               jsonb_build_object('grouping', jsonb_build_array(jsonb_build_object('id', s.course)))),
           'timestamp', to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'stored', to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'authority', jsonb_build_object('objectType', 'Agent',
               'account', jsonb_build_object('homePage', '{home}', 'name', 'panlearn')),
           'version', '1.0.0'),
       'mbox:' || s.mbox, '', E'\\n' || 'mbox:' || s.mbox || E'\\n', s.verb,
       CASE WHEN s.ref IS NULL THEN s.activity ELSE s.ref::text END, s.ref, s.course, s.registration,
       s.at, s.at, false, NULL, true
FROM (
    SELECT md5('statement' || i)::uuid AS id,
           'mailto:learner' || (i % {learners}) || '@example.org' AS mbox,
           'http://adlnet.gov/expapi/verbs/verb' || ((i / 7) % {verbs}) AS verb,
           '{home}/xapi/activities/course/' || ((i / 13) % {courses}) || '/activity/'
               || ((i / 3) % {per_course}) AS activity,
           '{home}/xapi/activities/course/' || ((i / 13) % {courses}) AS course,
           md5('registration' || (i % {learners}) || '/' || ((i / 13) % {courses}))::uuid AS registration,
           CASE WHEN i % 100 = 99 AND i > 1000 THEN md5('statement' || (i - 1000))::uuid END AS ref,
           timestamp with time zone '2026-01-01 00:00:00+00' + i * interval '1 millisecond' AS at
    FROM generate_series({start}, {stop}) AS i
) AS s
"""


def seed(table: str, count: int, connection) -> float:
    started = time.monotonic()
    with connection.cursor() as cursor:
        for start in range(0, count, 100_000):
            stop = min(count, start + 100_000) - 1
            cursor.execute(SEED_SQL.format(table=table, home=HOME, learners=LEARNERS, verbs=VERBS, courses=COURSES,
                                           per_course=ACTIVITIES_PER_COURSE, start=start, stop=stop))  # fmt: skip
        cursor.execute(f"ANALYZE {table}")
    return time.monotonic() - started


def queries(rng: random.Random, newest: datetime.datetime) -> dict:
    learner = rng.randrange(LEARNERS)
    course = rng.randrange(COURSES)
    agent = json.dumps({"mbox": f"mailto:learner{learner}@example.org"})
    verb = f"http://adlnet.gov/expapi/verbs/verb{rng.randrange(VERBS)}"
    activity = f"{HOME}/xapi/activities/course/{course}/activity/{rng.randrange(ACTIVITIES_PER_COURSE)}"
    registration = str(uuid.UUID(__import__("hashlib").md5(f"registration{learner}/{course}".encode()).hexdigest()))
    return {
        "agent": {"agent": agent},
        "verb": {"verb": verb},
        "activity": {"activity": activity},
        "course (related_activities)": {
            "activity": f"{HOME}/xapi/activities/course/{course}",
            "related_activities": "true",
        },
        "registration": {"registration": registration},
        "agent and verb": {"agent": agent, "verb": verb},
        "since (last minute)": {"since": (newest - datetime.timedelta(minutes=1)).isoformat()},
        "more (verb, page 2)": {"verb": verb, "_more": True},
    }


def measure(count: int, samples: int) -> dict:
    import django
    from django.conf import settings
    from django.test import Client

    django.setup()
    settings.ALLOWED_HOSTS = ["*"]
    from django.db import connection

    from tracking.models import StoredStatement

    seconds = seed(StoredStatement._meta.db_table, count, connection)
    rare = f"{HOME}/xapi/verbs/archived"
    with connection.cursor() as cursor:
        table = StoredStatement._meta.db_table
        cursor.execute(f"UPDATE {table} SET verb = %s, payload = jsonb_set(payload, '{{verb,id}}', to_jsonb(%s::text))"
                       f" WHERE id IN (SELECT id FROM {table} WHERE target_id IS NULL ORDER BY id LIMIT 2500 * 2)"
                       " AND id %% 2 = 0", [rare, rare])  # fmt: skip
    # The refs' chains, as the store keeps them (tracking/store/refs.py), built as the migration builds them.
    started = time.monotonic()
    from tracking.store import refs

    chains = refs.chains_rebuild_all()
    chains_s = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("ANALYZE panlearn_tracking_statementreftarget")
    newest = StoredStatement.objects.order_by("-pk").values_list("stored", flat=True).first()
    client = Client()
    import base64

    headers = {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"panlearn:bench-store").decode(),
        "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3",
    }
    rng = random.Random(7)
    timings: dict[str, list[float]] = {}
    baseline: list[float] = []
    sizes: dict[str, list[int]] = {}

    def get(params: dict) -> tuple[float, dict]:
        started = time.perf_counter()
        response = client.get("/xapi/statements", params, **headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{params}: {response.status_code} {response.content[:300]}")
        return elapsed, response.json()

    for params in queries(rng, newest).values():  # warm-up: connections, caches, plans
        get({key: value for key, value in params.items() if key != "_more"})
    for _ in range(samples):
        for name, params in queries(rng, newest).items():
            baseline.append(get({})[0])
            if params.pop("_more", False):
                first = get(params)[1]
                if not first["more"]:
                    continue
                started = time.perf_counter()
                response = client.get(first["more"], **headers)
                elapsed, body = (time.perf_counter() - started) * 1000, response.json()
            else:
                elapsed, body = get(params)
            timings.setdefault(name, []).append(elapsed)
            sizes.setdefault(name, []).append(len(body["statements"]))
    rare_timings = []
    for _ in range(max(3, samples // 4)):
        elapsed, body = get({"verb": rare})
        assert len(body["statements"]) == 100, len(body["statements"])
        rare_timings.append(elapsed)
    everything = [value for values in timings.values() for value in values]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_total_relation_size('{StoredStatement._meta.db_table}')")
        table_bytes = cursor.fetchone()[0]
    return {
        "statements": StoredStatement.objects.count(),
        "seed_s": round(seconds, 1),
        "table_mib": round(table_bytes / 2**20),
        "p95_ms": round(percentile(everything, 0.95), 2),
        "p50_ms": round(statistics.median(everything), 2),
        "baseline_p95_ms": round(percentile(baseline, 0.95), 2),
        "rare_old_verb_p50_ms": round(statistics.median(rare_timings), 2),
        "ref_chain_rows": chains,
        "ref_chains_s": round(chains_s, 1),
        "per_query": {
            name: {
                "p50_ms": round(statistics.median(values), 2),
                "p95_ms": round(percentile(values, 0.95), 2),
                "max_ms": round(max(values), 2),
                "statements_per_page_p50": statistics.median(sizes[name]),
            }
            for name, values in timings.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20 samples per query instead of 60")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the database URL
    args = parser.parse_args()
    samples = 20 if args.quick else 60
    if args.measure:
        print(json.dumps(measure(args.statements, samples)))
        return 0
    import psycopg

    name = f"panlearn_store_bench_{uuid.uuid4().hex[:8]}"
    server = PG_SERVER.replace("postgres://", "postgresql://")
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "panlearn.settings.dev", "DATABASE_URL": url,
           "PANLEARN_TRACKING_STORE_USERNAME": "panlearn", "PANLEARN_TRACKING_STORE_PASSWORD": "bench-store",
           "DJANGO_DEBUG": "false"}  # fmt: skip
    load = [round(value, 2) for value in os.getloadavg()]
    started = time.monotonic()
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        child = subprocess.run([sys.executable, __file__, "--measure", url, "--statements", str(args.statements)]
                               + (["--quick"] if args.quick else []), cwd=ROOT, env=env, check=True,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    figures = {
        "store_query_1m_p95_ms": result["p95_ms"],
        "store_query_1m_p50_ms": result["p50_ms"],
        "store_query_baseline_p95_ms": result["baseline_p95_ms"],
        "store_query_ratio": round(result["p95_ms"] / result["baseline_p95_ms"], 2),
        "store_query_rare_old_verb_p50_ms": result["rare_old_verb_p50_ms"],
        "target": {"store_query_1m_p95_ms": f"<= {TARGET_P95_MS}"},
        "statements": result["statements"],
        "seed_s": result["seed_s"],
        "table_mib": result["table_mib"],
        "ref_chain_rows": result["ref_chain_rows"],
        "ref_chains_s": result["ref_chains_s"],
        "per_query": result["per_query"],
        "machine": {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": load,
            "loadavg_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "duration_s": round(time.monotonic() - started, 1),
    }
    print(
        f"{result['statements']} statements on PostgreSQL (seeded in {result['seed_s']} s, {result['table_mib']} MiB)"
    )
    for name, values in result["per_query"].items():
        print(
            f"  {name:28} p50 {values['p50_ms']:7.2f} ms  p95 {values['p95_ms']:7.2f} ms  max {values['max_ms']:7.2f}"
        )
    print(f"all filtered GETs: p95 {result['p95_ms']} ms (target <= {TARGET_P95_MS}); no filter (baseline): p95 "
          f"{result['baseline_p95_ms']} ms; ratio {figures['store_query_ratio']}")  # fmt: skip
    print(f"refs' chains: {result['ref_chain_rows']} rows, built in {result['ref_chains_s']} s")
    print(f"a rare verb of the oldest statements (the newest page reaches back to the start): p50 "
          f"{result['rare_old_verb_p50_ms']} ms")  # fmt: skip
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
