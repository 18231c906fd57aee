"""Benchmark of facility onboarding's outputs: the user-office export API and certificate PDFs.

    .venv/bin/python bench/onboarding_bench.py --quick --json

Set-up, in a temporary directory: a throwaway SQLite database (migrated; the test settings otherwise), one
facility with three programmes, 10,000 users each with a recorded pass of the first programme and every third
user with a pass of a second one (13,334 ProgrammeCompletion rows, made with bulk_create: no certificates or
webhooks are issued for them), an experiment with 50 participants, and one user-office API token.

- export_api_p50_ms: `GET /api/useroffice/v1/validity/?limit=100` through Django's test client (URL routing,
  middleware, token check, the grouped keyset query, users and programmes of the page, JSON), at a random
  cursor each time so early and late pages are both measured. Baseline, alternated sample by sample: the same
  grouped query as raw SQL at the same cursor (`GROUP BY user_id, programme_id ... LIMIT 100` with a cursor
  condition) joined to the user's fields, and `json.dumps` of the rows: no Django, no ORM.
  details.export also has limit=1000 pages, a proposal-filtered page (50 participants × their required
  programmes) and the whole 10,000-user CSV (`?format=csv`, streamed) once.
- certificate_pdf_p50_ms: `certificates.pdf.render_certificate_pdf` of one certificate (DejaVu Sans embedded,
  QR code as PNG, no logo). Baseline, alternated: a bare ReportLab page with the same texts in Helvetica
  (no font embedding, no QR code). details.pdf has the download view end to end.
- csv_import_10k_s: the bulk invitation of 10,000 CSV rows, upload to emails, measured by running
  bench/invitations_bench.py (its own throwaway database) as a child process; its baseline comes with it.

With --json the LAST line is one JSON object. The temporary directory is removed at exit.
"""

import argparse
import datetime
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USERS = 10_000


def csv_import_bench(*, quick: bool) -> dict:
    """bench/invitations_bench.py in its own process (it migrates its own throwaway database)."""
    argv = [sys.executable, str(ROOT / "bench" / "invitations_bench.py"), "--json", *(["--quick"] if quick else [])]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"invitations_bench.py failed: {(done.stderr or done.stdout)[-500:]}")
    return json.loads(lines[-1])


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def series(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 3),
        "p95": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 3),
        "min": round(ms[0], 3),
        "max": round(ms[-1], 3),
    }


def populate() -> dict:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from facilities.models import Facility
    from onboarding.models import Experiment, Participant, Programme, ProgrammeCompletion, ProgrammeRequirement
    from useroffice.tokens import token_create

    started = time.perf_counter()
    facility = Facility.objects.create(name="PaN Bench Source", short_name="PBS")
    programmes = [Programme.objects.create(facility=facility, name=name) for name in ("Safety", "Chemistry", "Laser")]
    ProgrammeRequirement.objects.create(programme=programmes[0])
    ProgrammeRequirement.objects.create(programme=programmes[1], experiment_type="chemistry lab")
    User.objects.bulk_create(
        [User(username=f"user{n:05d}", email=f"user{n:05d}@example.org", first_name="User", last_name=f"N{n}",
              password="!") for n in range(USERS)],
        batch_size=2000,
    )  # fmt: skip
    users = list(User.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    rows = []
    for index, user_id in enumerate(users):
        passed = now - datetime.timedelta(days=index % 500)
        rows.append(ProgrammeCompletion(user_id=user_id, programme=programmes[0], passed_at=passed,
                                        valid_until=passed + datetime.timedelta(days=365)))  # fmt: skip
        if index % 3 == 0:
            rows.append(ProgrammeCompletion(user_id=user_id, programme=programmes[1], passed_at=passed,
                                            valid_until=passed + datetime.timedelta(days=180)))  # fmt: skip
    ProgrammeCompletion.objects.bulk_create(rows, batch_size=2000)
    experiment = Experiment.objects.create(facility=facility, proposal="PBS-1", title="Bench", start_date=now.date(),
                                           experiment_type="chemistry lab")  # fmt: skip
    Participant.objects.bulk_create([Participant(experiment=experiment, user_id=u) for u in users[::200]])
    token = token_create(facility=facility, name="bench")[1]
    say(f"populated {USERS} users, {len(rows)} completions in {time.perf_counter() - started:.1f} s")
    return {"token": token, "users": users, "completions": len(rows)}


RAW_PAGE = """
SELECT c.user_id, c.programme_id, MAX(c.valid_until), MAX(c.passed_at), u.username, u.first_name, u.last_name,
       u.email
FROM panlearn_onboarding_programmecompletion c JOIN auth_user u ON u.id = c.user_id
WHERE c.passed_at <= %s AND (c.user_id > %s OR (c.user_id = %s AND c.programme_id > %s))
GROUP BY c.user_id, c.programme_id, u.username, u.first_name, u.last_name, u.email
ORDER BY c.user_id, c.programme_id LIMIT %s
"""


def export_bench(setup: dict, *, samples: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    client = Client(HTTP_AUTHORIZATION=f"Bearer {setup['token']}")
    users = setup["users"]
    rng = random.Random(9)

    def api(params: dict) -> float:
        start = time.perf_counter()
        response = client.get("/api/useroffice/v1/validity/", params)
        body = response.json()
        elapsed = time.perf_counter() - start
        assert response.status_code == 200 and body["results"], response.content[:200]
        return elapsed

    def raw(after: int, limit: int) -> float:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(RAW_PAGE, [timezone.now(), after, after, 0, limit])
            rows = cursor.fetchall()
        json.dumps([{"user_id": r[0], "programme_id": r[1], "valid_until": str(r[2]),
                     "passed_at": str(r[3]), "username": r[4], "name": f"{r[5]} {r[6]}", "email": r[7]}
                    for r in rows])  # fmt: skip
        elapsed = time.perf_counter() - start
        assert rows
        return elapsed

    def cursor_at() -> int:
        return users[rng.randrange(0, len(users) - 1000)]

    api({"limit": 100})
    raw(0, 100)  # warm-up, discarded
    measured, baseline, big, big_raw, proposal = [], [], [], [], []
    for _ in range(samples):
        after = cursor_at()
        measured.append(api({"limit": 100, "after": f"{after}.0"}))
        baseline.append(raw(after, 100))
    for _ in range(max(5, samples // 6)):
        after = cursor_at()
        big.append(api({"limit": 1000, "after": f"{after}.0"}))
        big_raw.append(raw(after, 1000))
        proposal.append(api({"proposal": "PBS-1", "limit": 100}))
    start = time.perf_counter()
    response = client.get("/api/useroffice/v1/validity/", {"format": "csv"})
    lines = b"".join(response.streaming_content).count(b"\n")
    csv_s = time.perf_counter() - start
    return {
        "export_api_p50_ms": series(measured)["p50"],
        "raw_sql_json_p50_ms": series(baseline)["p50"],
        "api_limit100_ms": series(measured),
        "raw_limit100_ms": series(baseline),
        "api_limit1000_ms": series(big),
        "raw_limit1000_ms": series(big_raw),
        "api_proposal_50_participants_ms": series(proposal),
        "csv_all_s": round(csv_s, 3),
        "csv_rows": lines - 1,
    }


def pdf_bench(*, samples: int) -> dict:
    from django.contrib.auth.models import User
    from django.test import Client
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    from certificates.pdf import render_certificate_pdf
    from certificates.services import certificate_issue
    from onboarding.models import ProgrammeCompletion

    completion = ProgrammeCompletion.objects.select_related("user", "programme__facility").first()
    certificate = certificate_issue(completion=completion)
    certificate = (
        type(certificate)
        .objects.select_related("completion__user", "completion__programme__facility")
        .get(pk=certificate.pk)
    )
    texts = ["Certificate of training", "This certifies that", "User N0", "has passed the training programme",
             "Safety", "of PaN Bench Source", "Passed on 1 January 2026", "Valid until 1 January 2027",
             f"Certificate id {certificate.public_id}", "Verify at http://localhost:8000/verify/x/"]  # fmt: skip

    def bare() -> float:
        start = time.perf_counter()
        buffer = io.BytesIO()
        pdf = canvas.Canvas(buffer, pagesize=landscape(A4), pageCompression=1)
        pdf.setFont("Helvetica", 14)
        for index, text in enumerate(texts):
            pdf.drawString(72, 500 - index * 30, text)
        pdf.showPage()
        pdf.save()
        buffer.getvalue()
        return time.perf_counter() - start

    def ours() -> float:
        start = time.perf_counter()
        data = render_certificate_pdf(certificate)
        elapsed = time.perf_counter() - start
        assert data.startswith(b"%PDF-")
        return elapsed

    ours()
    bare()  # warm-up (font registration), discarded
    measured, baseline = [], []
    for _ in range(samples):
        measured.append(ours())
        baseline.append(bare())
    client = Client()
    client.force_login(User.objects.get(pk=completion.user_id))
    views = []
    for _ in range(max(5, samples // 4)):
        start = time.perf_counter()
        response = client.get(f"/learn/certificates/{certificate.public_id}.pdf")
        views.append(time.perf_counter() - start)
        assert response.status_code == 200
    return {
        "certificate_pdf_p50_ms": series(measured)["p50"],
        "bare_reportlab_page_p50_ms": series(baseline)["p50"],
        "render_ms": series(measured),
        "bare_ms": series(baseline),
        "download_view_ms": series(views),
        "pdf_bytes": len(render_certificate_pdf(certificate)),
    }


def machine() -> dict:
    import django
    import reportlab
    import segno

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "platform": f"{platform.machine()}, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.__version__,
        "reportlab": reportlab.Version,
        "segno": segno.__version__,
        "commit": commit.stdout.strip() + (" (with uncommitted changes)" if dirty else ""),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (well under a minute after set-up)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="panlearn-onboarding-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "panlearn.settings.test"
    started, load_before = time.monotonic(), os.getloadavg()[0]
    results, errors = {}, {}
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        say(f"migrated a throwaway SQLite database in {time.monotonic() - started:.1f} s")
        setup = populate()
        samples = 60 if args.quick else 300
        for name, measure in (("export", lambda: export_bench(setup, samples=samples)),
                              ("pdf", lambda: pdf_bench(samples=samples))):  # fmt: skip
            try:
                results[name] = measure()
                say(f"{name}: {json.dumps({k: v for k, v in results[name].items() if not isinstance(v, dict)})}")
            except Exception as error:  # one failing phase must not stop the other
                errors[name] = f"{type(error).__name__}: {error}"
                say(f"{name} FAILED: {errors[name]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        results["csv_import"] = csv_import_bench(quick=args.quick)
    except Exception as error:
        errors["csv_import"] = f"{type(error).__name__}: {error}"
        say(f"csv_import FAILED: {errors['csv_import']}")
    export, pdf, imported = results.get("export", {}), results.get("pdf", {}), results.get("csv_import", {})
    figures = {
        "csv_import_10k_s": imported.get("csv_import_10k_s"),
        "csv_import_baseline_parse_bulk_create_10k_s": imported.get("baseline_parse_bulk_create_10k_s"),
        "export_api_p50_ms": export.get("export_api_p50_ms"),
        "export_baseline_raw_sql_json_p50_ms": export.get("raw_sql_json_p50_ms"),
        "certificate_pdf_p50_ms": pdf.get("certificate_pdf_p50_ms"),
        "certificate_pdf_baseline_bare_reportlab_p50_ms": pdf.get("bare_reportlab_page_p50_ms"),
        "export_csv_10k_users_s": export.get("csv_all_s"),
    }
    say("")
    say(f"{'figure':44} {'measured':>10} {'baseline':>10}")
    say(f"{'export_api_p50_ms (vs raw SQL + json.dumps)':44} {figures['export_api_p50_ms']!s:>10} "
        f"{figures['export_baseline_raw_sql_json_p50_ms']!s:>10}")  # fmt: skip
    say(f"{'certificate_pdf_p50_ms (vs bare ReportLab)':44} {figures['certificate_pdf_p50_ms']!s:>10} "
        f"{figures['certificate_pdf_baseline_bare_reportlab_p50_ms']!s:>10}")  # fmt: skip
    say(f"{'csv_import_10k_s (vs csv.reader + bulk_create)':44} {figures['csv_import_10k_s']!s:>10} "
        f"{figures['csv_import_baseline_parse_bulk_create_10k_s']!s:>10}")  # fmt: skip
    say(f"load average (1 min) at start {load_before:.2f}, at end {os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs")
    figures.update(
        users=USERS,
        machine=machine(),
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        quick=args.quick,
        duration_s=round(time.monotonic() - started, 1),
        load_average_1min={"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        details=results,
        errors=errors,
    )
    if args.json:
        print(json.dumps(figures), flush=True)
    needed = ("export_api_p50_ms", "certificate_pdf_p50_ms", "csv_import_10k_s")
    return 1 if any(figures[name] is None for name in needed) else 0


if __name__ == "__main__":
    sys.exit(main())
