"""Builds the demo site through the same services trainers use. Safe to run again:
existing pages, images and accounts are left as they are (trainers' edits survive)."""

from contextlib import suppress

from django.contrib.auth.models import Group, User
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from accounts import services as accounts_services
from accounts.models import ConfirmedEmail
from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.services import dataset_sync_bundled
from courses import services
from courses.exceptions import AlreadyEnrolled
from courses.models import CatalogueIndexPage, CoursePage, LessonPage
from demo.material.assignment import NBGRADER_ASSIGNMENT, lesson_intro
from demo.material.courses import (
    REFLECTOMETRY_COURSE,
    SAFETY_COURSE,
    SAFETY_EXPERIMENT,
    SAFETY_FACILITY,
    SAFETY_PROGRAMME,
    SAFETY_QUIZ,
)
from demo.material.data_course import DATA_COURSE
from demo.material.exercises import CODE_EXERCISES
from demo.material.figures import FIGURES
from demo.material.masterclass import MASTERCLASS_COURSE
from demo.material.optics_course import OPTICS_COURSE, OPTICS_EXERCISES
from facilities.models import Facility, FacilityContact

DEMO_ACCOUNTS = {
    "student": {"password": "panlearn-student", "email": "student@example.org", "first_name": "Demo Student"},
    "trainer": {"password": "panlearn-trainer", "email": "trainer@example.org", "first_name": "Demo Trainer"},
    # Owns the masterclass and nothing else: how a second trainer sees (and does not see) the others' courses.
    "trainer2": {"password": "panlearn-trainer2", "email": "trainer2@example.org", "first_name": "Second Trainer"},
    "admin": {"password": "panlearn-admin", "email": "admin@example.org", "first_name": "Demo Admin"},
    "facility": {"password": "panlearn-facility", "email": "facility@example.org", "first_name": "Demo Facility Staff"},
}
FACILITY_NAMES = {
    "ANSTO": "Australian Nuclear Science and Technology Organisation",
    "ISIS": "ISIS Neutron and Muon Source",
    SAFETY_FACILITY["short_name"]: SAFETY_FACILITY["name"],
}
CATALOGUE_INTRO = (
    "<p>Self-paced courses on photon and neutron techniques, written by facility scientists, "
    "with real data from PaN facilities.</p>"
)


class Command(BaseCommand):
    help = "Load the demo catalogue, courses and accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        accounts = self._accounts()
        catalogue = self._catalogue(owner=accounts["admin"])
        for trainer in (accounts["trainer"], accounts["trainer2"]):
            trainer.groups.add(Group.objects.get(name=services.TRAINERS_GROUP))
        reflectometry = self._course(catalogue, REFLECTOMETRY_COURSE, owner=accounts["trainer"])
        self._nbgrader_assignment(reflectometry, NBGRADER_ASSIGNMENT, owner=accounts["trainer"])
        self._exercises = {"safety-quiz": self._quiz(SAFETY_QUIZ)}
        safety = self._course(catalogue, SAFETY_COURSE, owner=accounts["admin"])
        self._onboarding(safety, staff=accounts["facility"])
        # The data course's lessons attach bundled datasets and its exercises grade on them: registry first.
        dataset_sync_bundled(BUNDLED_DATASETS)
        self._exercises |= {spec["title"]: self._code_exercise(spec) for spec in CODE_EXERCISES}
        self._course(catalogue, DATA_COURSE, owner=accounts["trainer"])
        # Virtual experiments with shadow4: its exercises' hidden tests trace rays in the grading job.
        self._exercises |= {spec["title"]: self._code_exercise(spec) for spec in OPTICS_EXERCISES}
        self._course(catalogue, OPTICS_COURSE, owner=accounts["trainer"])
        masterclass = self._course(catalogue, MASTERCLASS_COURSE, owner=accounts["trainer2"])
        self._invite_to_course(masterclass, [accounts[name] for name in MASTERCLASS_COURSE["invited"]],
                               invited_by=accounts["trainer2"])  # fmt: skip
        with suppress(AlreadyEnrolled):
            services.enrolment_create(user=accounts["student"], course=reflectometry)
        self._free_response_waiting(reflectometry, NBGRADER_ASSIGNMENT, student=accounts["student"])
        self.stdout.write(self.style.SUCCESS("Demo content ready."))
        for username, details in DEMO_ACCOUNTS.items():
            self.stdout.write(f"  {username:8} password {details['password']}")

    def _accounts(self) -> dict[str, User]:
        accounts = {}
        for username, details in DEMO_ACCOUNTS.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": details["email"], "first_name": details["first_name"]},
            )
            if created:
                user.set_password(details["password"])
                if username == "admin":
                    user.is_staff = user.is_superuser = True
                user.save()
                # The demo's addresses are ours: confirmed, so that its invitations and places match them.
                accounts_services.email_confirm(user=user, how=ConfirmedEmail.ADMINISTRATOR)
            accounts[username] = user
        return accounts

    def _catalogue(self, *, owner: User) -> CatalogueIndexPage:
        catalogue = CatalogueIndexPage.objects.first()
        if catalogue is None:
            root = Page.get_first_root_node()
            catalogue = services.catalogue_create(site_root=root, title="Courses", intro=CATALOGUE_INTRO, user=owner)
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", port=80, root_page=catalogue, is_default_site=True)
        elif site.root_page_id != catalogue.pk:
            placeholder = site.root_page
            site.root_page = catalogue
            site.site_name = "panlearn"
            site.save()
            # Wagtail's own "Welcome" page is replaced by the catalogue; anything a person made is kept.
            if placeholder.depth == 2 and placeholder.content_type.model == "page" and placeholder.is_leaf():
                placeholder.delete()
        return catalogue

    def _course(self, catalogue: CatalogueIndexPage, spec: dict, *, owner: User) -> CoursePage:
        existing = CoursePage.objects.child_of(catalogue).filter(slug=spec["slug"]).first()
        if existing is not None:
            return existing.specific
        # A fresh user object: Wagtail caches page permissions on it, and each new course adds a group.
        owner = User.objects.get(pk=owner.pk)
        facility, _ = Facility.objects.get_or_create(
            short_name=spec["facility"], defaults={"name": FACILITY_NAMES.get(spec["facility"], spec["facility"])}
        )
        course = services.course_create(
            catalogue=catalogue,
            owner=owner,
            instructors=spec["instructors"],
            title=spec["title"],
            slug=spec["slug"],
            summary=spec["summary"],
            level=spec["level"],
            estimated_minutes=spec["estimated_minutes"],
            prerequisites=spec["prerequisites"],
            learning_outcomes=[("outcome", text) for text in spec["learning_outcomes"]],
            technique=spec["technique"] or "",
            facility=facility,
            licence=spec["licence"],
            enrolment_policy=spec["enrolment"],
            open_to_visitors=spec.get("open_to_visitors", False),
        )
        for lesson in spec["lessons"]:
            if LessonPage.objects.child_of(course).filter(slug=lesson["slug"]).exists():
                continue
            services.lesson_create(
                course=course,
                owner=owner,
                title=lesson["title"],
                slug=lesson["slug"],
                summary=lesson["summary"],
                body=[self._block(name, value, course=spec["title"]) for name, value in lesson["body"]],
            )
        return course

    def _quiz(self, spec: dict):
        """The quiz as a trainer makes it in the admin: the exercise, its questions, a validation run."""
        from exercises.models import Exercise, ExerciseKind, QuizQuestion
        from exercises.submissions import exercise_validate

        quiz = Exercise.objects.filter(title=spec["title"], kind=ExerciseKind.QUIZ).first()
        if quiz is not None:
            return quiz
        quiz = Exercise.objects.create(title=spec["title"], kind=ExerciseKind.QUIZ, prompt=spec["prompt"])
        for order, question in enumerate(spec["questions"]):
            row = QuizQuestion(exercise=quiz, sort_order=order, points=question.get("points", 1),
                               kind=question["kind"], prompt=question["prompt"], spec=question["spec"])  # fmt: skip
            row.full_clean()
            row.save()
        exercise_validate(quiz)
        return quiz

    def _invite_to_course(self, course: CoursePage, users: list[User], *, invited_by: User) -> None:
        """Invitations as a trainer sends them from the course's admin: made once, emailed (printed) once."""
        from django.conf import settings

        from courses.models import CourseInvitation

        for user in users:
            if CourseInvitation.objects.filter(course=course, email=user.email.lower()).exists():
                continue
            invitation = services.invitation_create(course=course, email=user.email, invited_by=invited_by)
            services.invitation_send(invitation=invitation, base_url=settings.WAGTAILADMIN_BASE_URL)

    def _code_exercise(self, spec: dict):
        """A code exercise as a trainer makes it in the admin: fields, policy, tests, datasets, a validation run
        (in the runner, which scripts/demo.sh starts first; without it the exercise says it is not validated)."""
        from datetime import timedelta
        from decimal import Decimal

        from django.utils import timezone

        from exercises.models import Exercise, ExerciseKind, ExerciseTest
        from exercises.submissions import exercise_validate

        exercise = Exercise.objects.filter(title=spec["title"], kind=ExerciseKind.CODE).first()
        if exercise is not None:
            return exercise
        policy = spec["policy"]
        exercise = Exercise(
            title=spec["title"],
            kind=ExerciseKind.CODE,
            prompt=spec["prompt"],
            starter_code=spec["starter_code"],
            solution_code=spec["solution_code"],
            max_attempts=policy.get("max_attempts"),
            decay_per_attempt=Decimal(policy["decay_per_attempt"]) if "decay_per_attempt" in policy else None,
            min_factor=Decimal(policy["min_factor"]) if "min_factor" in policy else None,
            deadline=timezone.now() + timedelta(days=policy["deadline_days"]),
            late=policy.get("late", ""),
            release_solution=policy.get("release_solution", ""),
        )
        exercise.full_clean()
        exercise.save()
        exercise.datasets.set(Dataset.objects.filter(slug__in=spec["datasets"]))
        for order, test in enumerate(spec["tests"]):
            ExerciseTest.objects.create(exercise=exercise, sort_order=order, name=test["name"], source=test["source"],
                                        points=test["points"], hidden=test.get("hidden", False))  # fmt: skip
        report = exercise_validate(exercise)
        if not report["ok"]:
            self.stdout.write(self.style.WARNING(f"{exercise.title}: {report['message']}"))
        return exercise

    def _nbgrader_assignment(self, course: CoursePage, spec: dict, *, owner: User) -> None:
        """The source notebook imported as a trainer imports it (each exercise validated by real runs), the
        policy set, and a lesson with the exercises and the student notebook (nbgrader's release version)."""
        from datetime import timedelta
        from decimal import Decimal

        from django.core.files.base import ContentFile
        from django.utils import timezone
        from wagtail.documents import get_document_model

        from exercises.importing import exercises_from_notebook
        from exercises.nbgrader import export_student_notebook
        from exercises.submissions import exercise_validate

        if LessonPage.objects.child_of(course).filter(slug=spec["lesson"]["slug"]).exists():
            return
        source = spec["notebook"].read_bytes()
        assignment, exercises = exercises_from_notebook(source, owner=owner)
        policy = spec["policy"]
        for exercise in exercises:
            exercise.max_attempts = policy["max_attempts"]
            exercise.decay_per_attempt = Decimal(policy["decay_per_attempt"])
            exercise.min_factor = Decimal(policy["min_factor"])
            exercise.deadline = timezone.now() + timedelta(days=policy["deadline_days"])
            exercise.full_clean()
            exercise.save()
            report = exercise_validate(exercise)
            if not report["ok"]:
                self.stderr.write(f"{exercise.title}: {report['message']}")
        document = get_document_model()(title=f"{assignment.title} (student notebook)")
        document.file.save(f"{spec['notebook'].stem}-student.ipynb", ContentFile(export_student_notebook(source)))
        body = [("text", lesson_intro(document_id=document.pk, notebook_title=assignment.title))]
        body += [("exercise", {"exercise": exercise}) for exercise in exercises]
        services.lesson_create(course=course, owner=User.objects.get(pk=owner.pk), body=body, **spec["lesson"])

    def _free_response_waiting(self, course: CoursePage, spec: dict, *, student: User) -> None:
        """The demo student's written answer, submitted as from the lesson: it waits in the gradebook."""
        from exercises.models import Exercise, ExerciseKind, Submission, SubmissionKind
        from exercises.submissions import submission_create

        lesson = LessonPage.objects.child_of(course).get(slug=spec["lesson"]["slug"])
        for block in lesson.body:
            exercise = block.value["exercise"] if block.block_type == "exercise" else None
            if not isinstance(exercise, Exercise) or exercise.kind != ExerciseKind.FREE_RESPONSE:
                continue
            if not Submission.objects.filter(user=student, exercise=exercise).exists():
                submission_create(user=student, exercise=exercise, code=spec["student_answer"],
                                  kind=SubmissionKind.SUBMIT, course=course)  # fmt: skip

    def _onboarding(self, course: CoursePage, *, staff: User) -> None:
        """The safety course as the demo facility's programme, required for an experiment the demo
        student takes part in, managed by the demo facility account. Left alone once it exists."""
        from datetime import timedelta

        from django.utils import timezone

        from exercises.selectors import page_exercise_ids
        from onboarding import services as onboarding
        from onboarding.models import Experiment, Programme

        facility = Facility.objects.get(short_name=SAFETY_FACILITY["short_name"])
        if not FacilityContact.objects.filter(facility=facility).exists():
            for order, contact in enumerate(SAFETY_FACILITY["contacts"]):
                FacilityContact.objects.create(facility=facility, sort_order=order, **contact)
        onboarding.facility_staff_add(facility=facility, user=staff)
        quiz = self._exercises["safety-quiz"]
        if not any(quiz.pk in page_exercise_ids(lesson) for lesson in course.live_lessons):
            # A site loaded before the quiz existed keeps its course as it is: no programme without it.
            self.stdout.write(self.style.WARNING("The safety course has no final quiz: no demo programme made."))
            return
        if not Programme.objects.filter(facility=facility, name=SAFETY_PROGRAMME["name"]).exists():
            onboarding.programme_create(
                facility=facility,
                name=SAFETY_PROGRAMME["name"],
                description=SAFETY_PROGRAMME["description"],
                validity_months=SAFETY_PROGRAMME["validity_months"],
                courses=[(course, quiz, SAFETY_PROGRAMME["pass_mark"])],
                requirements=SAFETY_PROGRAMME["requirements"],
            )
        experiment = Experiment.objects.filter(facility=facility, proposal=SAFETY_EXPERIMENT["proposal"]).first()
        if experiment is None:
            experiment = onboarding.experiment_create(
                facility=facility,
                proposal=SAFETY_EXPERIMENT["proposal"],
                title=SAFETY_EXPERIMENT["title"],
                instrument=SAFETY_EXPERIMENT["instrument"],
                experiment_type=SAFETY_EXPERIMENT["experiment_type"],
                start_date=timezone.localdate() + timedelta(days=SAFETY_EXPERIMENT["starts_in_days"]),
            )
            self._invite(experiment, staff=staff)

    def _invite(self, experiment, *, staff: User) -> None:
        """The facility invites its participants as staff do: a CSV upload, confirmed, imported (at once,
        since the worker starts after this command; the invitation emails print in the demo)."""
        from invitations.importing import batch_import
        from invitations.upload import batch_confirm, batch_create

        lines = ["email,name,proposal,start_date,role"]
        for username, role in SAFETY_EXPERIMENT["participants"]:
            user = User.objects.get(username=username)
            name = user.get_full_name() or user.username
            lines.append(f"{user.email},{name},{experiment.proposal},{experiment.start_date.isoformat()},{role}")
        batch = batch_create(facility=experiment.facility, uploaded_by=staff,
                             data="\n".join(lines).encode(), filename="demo-participants.csv")  # fmt: skip
        if batch.valid_rows != len(lines) - 1:
            self.stdout.write(self.style.WARNING(f"Demo invitation rows refused: {batch.file_errors or batch.pk}"))
            return
        batch_confirm(batch=batch, user=staff)
        batch_import(batch_id=batch.pk)  # a second run by the worker finds it imported

    def _block(self, name: str, value, *, course: str):
        if name == "exercise":
            return (name, {"exercise": self._exercises[value["exercise"]]})
        if name == "dataset":
            return (name, {**value, "dataset": Dataset.objects.get(slug=value["dataset"])})
        if name != "figure":
            return (name, value)
        value = dict(value)
        value["image"] = self._figure_image(value.pop("figure"), course=course)
        return (name, value)

    def _figure_image(self, key: str, *, course: str):
        image_model = get_image_model()
        title = f"{course}: {key}"
        image = image_model.objects.filter(title=title).first()
        if image is None:
            from io import BytesIO

            image = image_model(title=title)
            image.file = ImageFile(BytesIO(FIGURES[key]()), name=f"{key}.png")
            image.save()
        return image
