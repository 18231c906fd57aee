"""Benchmark of the bulk invitation import: 10,000 CSV rows from upload to the last email.

    .venv/bin/python bench/invitations_bench.py --quick --json

Set-up, in a temporary directory: a throwaway SQLite database (or --database-url, which must point at
an empty database the script may migrate and fill), migrated; a facility with two programmes (general
safety for everyone, chemistry for principal investigators), each with a one-course quiz; a staff member.

- csv_import_10k_s: `upload.batch_create` (decode, parse, validate every row, look up accounts and
  experiments, store the rows for the report) then `upload.batch_confirm` (the import task runs at
  once: 50 new experiments, 10,000 new accounts, participants, 12,500 enrolments, invitations) and the
  10,000 invitation emails (locmem backend: building and handing over the messages, no SMTP). Each
  round uses fresh emails and proposals. Median of the rounds.
- baseline_parse_bulk_create_10k_s: the floor, in the same run on the same database: `csv.reader` over
  the same bytes and one `User.objects.bulk_create` of 10,000 bare rows in a transaction.

With --json the LAST line is one JSON object. The temporary directory is removed at exit.
"""

import argparse
import csv
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ROWS = 10_000
ROLES = ("pi", "experimenter", "remote", "local contact")


def say(line: str) -> None:
    print(line, flush=True)


def make_csv(round_no: int) -> bytes:
    start = datetime.date.today() + datetime.timedelta(days=60)
    lines = ["email,name,proposal,start_date,role"]
    lines += [
        f"r{round_no}u{i}@example.org,Person {i},R{round_no}-P{i % 50},{start:%Y-%m-%d},{ROLES[i % 4]}"
        for i in range(ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def setup_django(tmp: Path, database_url: str | None) -> None:
    settings_file = tmp / "bench_invitations_settings.py"
    settings_file.write_text(
        "from panlearn.settings.test import *  # noqa: F403\n"
        "EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'\n"
        "TASKS = {'default': {'BACKEND': 'django_tasks.backends.immediate.ImmediateBackend'}}\n"
    )
    sys.path.insert(0, str(tmp))
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_invitations_settings"
    import django

    django.setup()


def world():
    from wagtail.models import Page

    from onboarding import services as onboarding
    from tests.factories import CatalogueIndexPageFactory, FacilityFactory, UserFactory
    from tests.onboarding.conftest import make_course, make_quiz

    catalogue = CatalogueIndexPageFactory(parent=Page.get_first_root_node(), slug="bench-courses")
    facility = FacilityFactory(short_name="BENCH", name="Bench Source")
    for name, role in (("General safety", ""), ("Chemistry", "principal_investigator")):
        quiz = make_quiz(f"{name} quiz")
        course = make_course(catalogue, f"Bench {name}", quiz)
        onboarding.programme_create(
            facility=facility,
            name=name,
            courses=[(course, quiz, 80)],
            requirements=[{"role": role, "instrument": "", "experiment_type": ""}],
        )
    staff = UserFactory(username="bench-office", email="office@bench.example")
    onboarding.facility_staff_add(facility=facility, user=staff)
    return facility, staff


def import_round(facility, staff, data: bytes) -> float:
    from django.core import mail

    from invitations import upload as services
    from invitations.models import BatchStatus

    mail.outbox = []
    started = time.perf_counter()
    batch = services.batch_create(facility=facility, uploaded_by=staff, data=data, filename="bench.csv")
    batch = services.batch_confirm(batch=batch, user=staff)  # the import task and the emails run at commit
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED and batch.imported_rows == ROWS, (batch.status, batch.imported_rows)
    assert len(mail.outbox) == ROWS, len(mail.outbox)
    return elapsed


def baseline_round(data: bytes, round_no: int) -> float:
    from django.contrib.auth.models import User
    from django.db import transaction

    started = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]
    with transaction.atomic():
        User.objects.bulk_create(
            [User(username=f"base{round_no}-{row[0]}", email=row[0], password="!") for row in rows], batch_size=500
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    tmp = Path(tempfile.mkdtemp(prefix="panlearn-invitations-bench-"))
    try:
        setup_django(tmp, args.database_url)
        from django.core.management import call_command
        from django.db import connection

        say("migrating a throwaway database…")
        call_command("migrate", verbosity=0)
        facility, staff = world()
        imports, baselines = [], []
        for round_no in range(rounds):
            data = make_csv(round_no)
            baselines.append(baseline_round(data, round_no))
            imports.append(import_round(facility, staff, data))
            say(f"round {round_no + 1}: import {imports[-1]:.2f} s, baseline {baselines[-1]:.2f} s")
        result = {
            "csv_import_10k_s": round(statistics.median(imports), 3),
            "baseline_parse_bulk_create_10k_s": round(statistics.median(baselines), 3),
            "rows": ROWS,
            "rounds": rounds,
            "database": connection.vendor,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "date": datetime.date.today().isoformat(),
        }
        say(f"csv_import_10k_s={result['csv_import_10k_s']} (baseline {result['baseline_parse_bulk_create_10k_s']})")
        if args.json:
            print(json.dumps(result), flush=True)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
