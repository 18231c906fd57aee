"""Trainers author every page type in the Wagtail admin; students never reach it."""

from django.contrib.auth.models import Group
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from courses.models import CatalogueIndexPage, CoursePage, LessonPage
from courses.services import TRAINERS_GROUP
from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory


class AdminAuthoringTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.catalogue = CatalogueIndexPageFactory(parent=root)
        site = Site.objects.get(is_default_site=True)
        site.root_page = cls.catalogue
        site.save()
        cls.trainer = UserFactory(username="trainer")
        cls.trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
        cls.other_trainer = UserFactory(username="other")
        cls.other_trainer.groups.add(Group.objects.get(name=TRAINERS_GROUP))
        cls.student = UserFactory(username="student")

    def test_page_tree_rules(self):
        self.assertAllowedParentPageTypes(CoursePage, {CatalogueIndexPage})
        self.assertAllowedParentPageTypes(LessonPage, {CoursePage})
        self.assertAllowedSubpageTypes(CoursePage, {LessonPage})
        self.assertAllowedSubpageTypes(LessonPage, set())
        self.assertCanNotCreateAt(CatalogueIndexPage, LessonPage)

    def test_admin_creates_the_catalogue_only_once(self):
        self.client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
        self.assertFalse(CatalogueIndexPage.can_create_at(Page.get_first_root_node()))
        self.catalogue.delete()
        self.assertCanCreate(
            Page.get_first_root_node(),
            CatalogueIndexPage,
            nested_form_data({"title": "Second catalogue", "slug": "second", "intro": rich_text("<p>Hi</p>")}),
        )

    def test_trainer_creates_a_course_and_its_lessons(self):
        self.client.force_login(self.trainer)
        self.assertCanCreate(
            self.catalogue,
            CoursePage,
            nested_form_data(
                {
                    "title": "Powder diffraction",
                    "slug": "powder-diffraction",
                    "summary": "Rietveld refinement from the ground up.",
                    "level": "intermediate",
                    "estimated_minutes": 120,
                    "technique": "diffraction",
                    "licence": "CC-BY-4.0",
                    "enrolment_policy": "open",
                    "prerequisites": rich_text("<p>Bragg's law</p>"),
                    "learning_outcomes": streamfield([("outcome", "Index a powder pattern")]),
                    "instructors": inline_formset([{"name": "Dr. Ada Example", "affiliation": "", "orcid": ""}]),
                }
            ),
            publish=False,  # the first save is a draft: publishing rights come with owning the course
        )
        course = CoursePage.objects.get(slug="powder-diffraction")
        self.assertEqual(course.owner, self.trainer)
        self.assertTrue(course.permissions_for_user(self.trainer).can_publish())
        course.save_revision(user=self.trainer).publish(user=self.trainer)
        self.assertEqual(course.instructors.get().name, "Dr. Ada Example")
        self.assertCanCreate(
            course,
            LessonPage,
            nested_form_data(
                {
                    "title": "Bragg's law",
                    "slug": "braggs-law",
                    "summary": "",
                    "body": streamfield(
                        [
                            ("text", rich_text("<p>Constructive interference.</p>")),
                            ("maths", {"latex": r"n\lambda = 2d\sin\theta", "caption": "Bragg's law"}),
                            ("callout", {"kind": "tip", "title": "", "body": rich_text("<p>Mind the units.</p>")}),
                            ("code", {"language": "python", "code": "print(2 * 3.1)", "caption": ""}),
                            ("video", {"url": "https://vimeo.com/76979871", "title": "Talk", "caption": ""}),
                        ]
                    ),
                }
            ),
        )
        lesson = LessonPage.objects.get(slug="braggs-law")
        self.assertEqual([block.block_type for block in lesson.body], ["text", "maths", "callout", "code", "video"])

    def test_invalid_video_link_is_a_form_error(self):
        self.client.force_login(self.trainer)
        course = CoursePageFactory(parent=self.catalogue, owner=self.trainer)
        response = self.client.post(
            f"/admin/pages/add/panlearn_courses/lessonpage/{course.pk}/",
            nested_form_data(
                {
                    "title": "Bad video",
                    "slug": "bad-video",
                    "summary": "",
                    "body": streamfield(
                        [("video", {"url": "https://example.org/x.html", "title": "x", "caption": ""})]
                    ),
                }
            ),
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(LessonPage.objects.filter(slug="bad-video").exists())

    def test_trainer_edits_and_publishes_own_course_but_not_anothers(self):
        own = CoursePageFactory(parent=self.catalogue, owner=self.trainer)
        lesson = LessonPageFactory(parent=own, owner=self.other_trainer)
        others = CoursePageFactory(parent=self.catalogue, owner=self.other_trainer)
        own_perms = own.permissions_for_user(self.trainer)
        self.assertTrue(own_perms.can_edit())
        self.assertTrue(own_perms.can_publish())
        self.assertTrue(lesson.permissions_for_user(self.trainer).can_edit())
        other_perms = others.permissions_for_user(self.trainer)
        self.assertFalse(other_perms.can_edit())
        self.assertFalse(other_perms.can_publish())
        self.assertFalse(other_perms.can_unpublish())
        self.client.force_login(self.trainer)
        self.assertEqual(self.client.get(f"/admin/pages/{own.pk}/edit/").status_code, 200)
        self.assertNotEqual(self.client.get(f"/admin/pages/{others.pk}/edit/").status_code, 200)

    def test_trainer_cannot_touch_the_catalogue_itself(self):
        self.assertFalse(self.catalogue.permissions_for_user(self.trainer).can_edit())
        self.assertFalse(self.catalogue.permissions_for_user(self.trainer).can_publish())

    def test_students_never_reach_the_admin(self):
        self.client.force_login(self.student)
        for path in (
            "/admin/",
            f"/admin/pages/{self.catalogue.pk}/",
            "/admin/pages/add/panlearn_courses/coursepage/3/",
        ):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertTrue(response.url.startswith("/admin/login/"), response.url)

    def test_course_preview_works(self):
        course = CoursePageFactory(parent=self.catalogue, owner=self.trainer)
        self.client.force_login(self.trainer)
        form_data = nested_form_data(
            {
                "title": course.title,
                "slug": course.slug,
                "summary": "Draft summary shown in preview",
                "level": "beginner",
                "estimated_minutes": 30,
                "technique": "",
                "licence": "CC-BY-4.0",
                "enrolment_policy": "open",
                "prerequisites": rich_text(""),
                "learning_outcomes": streamfield([]),
                "instructors": inline_formset([]),
            }
        )
        self.assertPageIsPreviewable(course, post_data=form_data)
        self.assertPageIsRenderable(course)
