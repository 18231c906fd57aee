"""A trainer's admin shows the courses they edit and nothing of another trainer's.

Wagtail lets anyone with "add" on a page explore, search and add below it. Trainers used to hold
"add" on the catalogue, so trainer B's explorer listed trainer A's drafts and lessons, its search
found them, and B could add lessons into A's course. Creating courses is now a trainer's model
permission that only the catalogue honours (courses.permissions).
"""

from django.contrib.auth.models import Group
from django.test import TestCase
from wagtail.models import GroupPagePermission, Page, PageViewRestriction, Site

from courses.models import CoursePage, LessonPage
from courses.services import TRAINERS_GROUP
from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory


class TwoTrainers(TestCase):
    """Alice's courses (one live with a lesson, one draft), Bob's two, and a trainer with none yet."""

    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.catalogue = CatalogueIndexPageFactory(parent=root)
        site = Site.objects.get(is_default_site=True)
        site.root_page = cls.catalogue
        site.save()
        trainers = Group.objects.get(name=TRAINERS_GROUP)
        cls.alice = UserFactory(username="alice")
        cls.bob = UserFactory(username="bob")
        cls.newcomer = UserFactory(username="newcomer")
        for user in (cls.alice, cls.bob, cls.newcomer):
            user.groups.add(trainers)
        # Created by their owners, as the admin would: the owner becomes the course's editor.
        cls.alices = CoursePageFactory(parent=cls.catalogue, owner=cls.alice, title="Alice's tomography")
        cls.alices_draft = CoursePageFactory(
            parent=cls.catalogue, owner=cls.alice, title="Alice's secret draft", live=False
        )
        cls.alices_lesson = LessonPageFactory(
            parent=cls.alices, owner=cls.alice, title="Alice's filtered back-projection"
        )
        cls.bobs = CoursePageFactory(parent=cls.catalogue, owner=cls.bob, title="Bob's diffraction")
        cls.bobs_second = CoursePageFactory(parent=cls.catalogue, owner=cls.bob, title="Bob's spectroscopy")


class TrainerPageScopeTests(TwoTrainers):
    def test_the_explorer_lists_only_the_trainers_own_courses(self):
        self.client.force_login(self.bob)
        response = self.client.get(f"/admin/pages/{self.catalogue.pk}/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Bob&#x27;s diffraction")
        self.assertContains(response, "Bob&#x27;s spectroscopy")
        self.assertNotContains(response, "Alice")
        # With a single course, Wagtail opens it instead: still nothing of Alice's on the way.
        self.client.force_login(self.newcomer)
        mine = CoursePageFactory(parent=self.catalogue, owner=self.newcomer, title="Newcomer's course")
        response = self.client.get(f"/admin/pages/{self.catalogue.pk}/", follow=True)
        self.assertEqual(response.redirect_chain[-1][0], f"/admin/pages/{mine.pk}/")
        self.assertNotContains(response, "Alice")

    def test_another_trainers_course_cannot_be_explored(self):
        self.client.force_login(self.bob)
        for page in (self.alices, self.alices_draft):
            for path in (f"/admin/pages/{page.pk}/", f"/admin/pages/{page.pk}/results/"):
                self.assertEqual(self.client.get(path).status_code, 404, path)
        # Above the trainer's own pages, Wagtail's way stays: the tree's root leads to them.
        root = Page.get_first_root_node()
        response = self.client.get(f"/admin/pages/{root.pk}/")
        self.assertRedirects(response, f"/admin/pages/{self.catalogue.pk}/", fetch_redirect_response=False)

    def test_admin_search_and_chooser_find_only_own_pages(self):
        self.client.force_login(self.bob)
        response = self.client.get("/admin/pages/search/?q=Alice")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Alice&#x27;s")
        # The chooser still offers what the public sees (a link to another course's live lesson is fine),
        # never another trainer's draft.
        response = self.client.get("/admin/choose-page/search/?q=Alice")
        self.assertNotContains(response, "secret draft")
        response = self.client.get(f"/admin/choose-page/{self.catalogue.pk}/")
        self.assertContains(response, "Bob&#x27;s spectroscopy")
        self.assertNotContains(response, "secret draft")

    def test_no_lesson_can_be_added_to_another_trainers_course(self):
        self.client.force_login(self.bob)
        self.assertFalse(self.alices.permissions_for_user(self.bob).can_add_subpage())
        response = self.client.get(f"/admin/pages/add/panlearn_courses/lessonpage/{self.alices.pk}/")
        self.assertNotEqual(response.status_code, 200)
        response = self.client.post(
            f"/admin/pages/add/panlearn_courses/lessonpage/{self.alices.pk}/", {"title": "Planted", "slug": "planted"}
        )
        self.assertNotEqual(response.status_code, 200)
        self.assertFalse(LessonPage.objects.filter(slug="planted").exists())

    def test_another_trainers_pages_cannot_be_copied_or_moved(self):
        self.client.force_login(self.bob)
        self.assertNotEqual(self.client.get(f"/admin/pages/{self.alices_lesson.pk}/copy/").status_code, 200)
        self.assertNotEqual(self.client.get(f"/admin/pages/{self.alices_lesson.pk}/move/").status_code, 200)
        # Wagtail's confirmation step names both pages before it checks anything.
        for page in (self.alices_draft, self.alices_lesson):
            response = self.client.get(f"/admin/pages/{page.pk}/move/{self.bobs.pk}/confirm/")
            self.assertEqual(response.status_code, 404)  # not a page Bob may know of
        response = self.client.post(f"/admin/pages/{self.alices_lesson.pk}/move/{self.bobs.pk}/confirm/")
        self.assertEqual(response.status_code, 404)
        self.alices_lesson.refresh_from_db()
        self.assertTrue(self.alices_lesson.is_child_of(self.alices))

    def test_every_trainer_can_still_create_a_course(self):
        self.client.force_login(self.newcomer)
        self.assertTrue(self.catalogue.permissions_for_user(self.newcomer).can_add_subpage())
        self.assertFalse(self.catalogue.permissions_for_user(self.newcomer).can_publish_subpage())
        response = self.client.get(f"/admin/pages/add/panlearn_courses/coursepage/{self.catalogue.pk}/")
        self.assertEqual(response.status_code, 200)
        # The way in, for a trainer who has no course yet and so no page to explore.
        response = self.client.get("/admin/courses/new/")
        self.assertRedirects(
            response,
            f"/admin/pages/add/panlearn_courses/coursepage/{self.catalogue.pk}/",
            fetch_redirect_response=False,
        )
        self.assertContains(self.client.get("/admin/"), "/admin/courses/new/")

    def test_a_trainer_can_add_nothing_else_to_the_catalogue(self):
        self.client.force_login(self.bob)
        response = self.client.get(f"/admin/pages/add/panlearn_courses/catalogueindexpage/{self.catalogue.pk}/")
        self.assertNotEqual(response.status_code, 200)

    def test_students_and_visitors_cannot_create_courses(self):
        student = UserFactory(username="student")
        self.assertFalse(self.catalogue.permissions_for_user(student).can_add_subpage())
        self.client.force_login(student)
        self.assertNotEqual(self.client.get("/admin/courses/new/").status_code, 200)
        self.client.logout()
        self.assertEqual(self.client.get("/admin/courses/new/").status_code, 302)

    def test_trainers_hold_no_page_permission_on_the_catalogue(self):
        trainers = Group.objects.get(name=TRAINERS_GROUP)
        self.assertFalse(GroupPagePermission.objects.filter(group=trainers).exists())


class TrainerPageScopeOtherRoutesTests(TwoTrainers):
    """The routes a review found naming another trainer's pages: bulk actions, the chooser's browse and
    chosen-multiple, the workflow steps and the move confirmation's slug check."""

    def test_bulk_actions_pass_on_only_pages_the_trainer_may_explore(self):
        self.client.force_login(self.bob)
        listing = self.client.get(f"/admin/bulk/wagtailcore/page/delete/?id=all&childOf={self.catalogue.pk}")
        self.assertNotContains(listing, "Alice", status_code=listing.status_code)
        searched = self.client.get(f"/admin/bulk/wagtailcore/page/unpublish/?id=all&childOf={self.catalogue.pk}&q=a")
        self.assertNotContains(searched, "Alice", status_code=searched.status_code)
        named = self.client.get(f"/admin/bulk/wagtailcore/page/delete/?id={self.alices_draft.pk}")
        self.assertEqual(named.status_code, 404)
        own = self.client.get(f"/admin/bulk/wagtailcore/page/unpublish/?id={self.bobs.pk}&id={self.alices.pk}")
        self.assertContains(own, "Bob&#x27;s diffraction")
        self.assertNotContains(own, "Alice")

    def test_the_chooser_describes_only_choosable_pages(self):
        self.client.force_login(self.bob)
        chosen = self.client.get(f"/admin/choose-page/chosen-multiple/?id={self.alices_draft.pk}&id={self.bobs.pk}")
        self.assertNotContains(chosen, "secret draft")
        self.assertContains(chosen, "Bob")
        self.assertEqual(self.client.get(f"/admin/choose-page/{self.alices_draft.pk}/").status_code, 404)
        # A live, public course stays browsable for links.
        self.assertEqual(self.client.get(f"/admin/choose-page/{self.alices.pk}/").status_code, 200)

    def test_workflow_steps_of_another_trainers_page_are_not_found(self):
        from wagtail.models import Task

        task = Task.objects.first() or Task.objects.create(name="Review")
        self.client.force_login(self.bob)
        for path in (
            f"/admin/pages/workflow/preview/{self.alices_draft.pk}/{task.pk}/",
            f"/admin/pages/workflow/confirm_cancellation/{self.alices_draft.pk}/",
            f"/admin/pages/workflow/action/{self.alices_draft.pk}/approve/1/",
        ):
            response = self.client.get(path, follow=True)
            self.assertNotContains(response, "secret draft", status_code=response.status_code, msg_prefix=path)

    def test_the_move_confirmation_checks_the_move_before_the_slug(self):
        mine = LessonPageFactory(parent=self.bobs, owner=self.bob, slug=self.alices_lesson.slug, title="Mine")
        self.client.force_login(self.bob)
        response = self.client.get(f"/admin/pages/{mine.pk}/move/{self.alices.pk}/confirm/", follow=True)
        self.assertNotContains(response, self.alices_lesson.slug, status_code=response.status_code)
        mine.refresh_from_db()
        self.assertTrue(mine.is_child_of(self.bobs))


class AliceRetitled(TwoTrainers):
    """Alice saved an unpublished retitling of her live course, and has an unpublished lesson."""

    SECRET = "SECRET draft title"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        course = CoursePage.objects.get(pk=cls.alices.pk)
        course.title = cls.SECRET
        course.save_revision(user=cls.alice)
        cls.alices_unpublished_lesson = LessonPageFactory(
            parent=cls.alices, owner=cls.alice, title="Alice's unpublished lesson", live=False
        )


class ChooserTitlesTests(AliceRetitled):
    """The page chooser names a page by its draft title (Wagtail's admin display title): Bob, who may link
    to Alice's course, sees only its live title."""

    def chooser_views(self):
        """Each chooser answer that names Alice's course, her lesson or her drafts: (what, response)."""
        yield "browse the catalogue", self.client.get(f"/admin/choose-page/{self.catalogue.pk}/")
        yield "browse the catalogue, multiple", self.client.get(f"/admin/choose-page/{self.catalogue.pk}/?multiple=1")
        yield "browse the course", self.client.get(f"/admin/choose-page/{self.alices.pk}/")
        yield "browse the lesson", self.client.get(f"/admin/choose-page/{self.alices_lesson.pk}/")
        yield "browse the root", self.client.get("/admin/choose-page/")
        for q in ("Alice", "tomography", "back-projection", "SECRET", "unpublished"):
            yield f"search {q}", self.client.get(f"/admin/choose-page/search/?q={q}")
        yield "chosen", self.client.get(f"/admin/choose-page/chosen-multiple/?id={self.alices.pk}")

    def test_another_trainer_sees_only_live_titles(self):
        self.client.force_login(self.bob)
        leaks = []
        for what, response in self.chooser_views():
            self.assertEqual(response.status_code, 200, what)
            leaks += [
                f"{what}: {text}"
                for text in ("SECRET", "secret draft", "unpublished lesson")
                if text in response.content.decode()
            ]
        self.assertEqual(leaks, [])
        # The live course is still offered, under its live title.
        browsed = self.client.get(f"/admin/choose-page/{self.catalogue.pk}/")
        self.assertContains(browsed, "Alice&#x27;s tomography")
        searched = self.client.get("/admin/choose-page/search/?q=back-projection")
        self.assertContains(searched, "Alice&#x27;s filtered back-projection")
        self.assertContains(searched, "Alice&#x27;s tomography")  # the lesson's parent
        chosen = self.client.get(f"/admin/choose-page/chosen-multiple/?id={self.alices.pk}").json()
        self.assertEqual([page["adminTitle"] for page in chosen["result"]], ["Alice's tomography"])

    def test_the_courses_editor_sees_the_draft_title(self):
        self.client.force_login(self.alice)
        self.assertContains(self.client.get(f"/admin/choose-page/{self.catalogue.pk}/"), self.SECRET)
        self.assertContains(self.client.get("/admin/choose-page/search/?q=tomography"), self.SECRET)
        self.assertContains(self.client.get(f"/admin/choose-page/{self.alices.pk}/"), "Alice&#x27;s unpublished lesson")
        chosen = self.client.get(f"/admin/choose-page/chosen-multiple/?id={self.alices.pk}").json()
        self.assertEqual([page["adminTitle"] for page in chosen["result"]], [self.SECRET])


class ExternalLinkConversionTests(AliceRetitled):
    """The link chooser's external-link tab turns a URL that routes to a page into a link to that page,
    named by its draft title; it routes to private pages too. Bob, who may not edit Alice's pages, gets the
    external link he typed, as for a URL that matches no page; Alice gets her page."""

    def post_link(self, url):
        response = self.client.post(
            "/admin/choose-external-link/",
            {"external-link-chooser-url": url, "external-link-chooser-link_text": ""},
        )
        self.assertEqual(response.status_code, 200)
        return response

    def test_another_trainers_page_stays_an_external_link(self):
        PageViewRestriction.objects.create(
            page=self.alices_lesson, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
        )
        self.client.force_login(self.bob)
        nowhere = self.post_link("/no-such-page/").json()
        self.assertEqual(nowhere["step"], "external_link_chosen")
        for page in (self.alices, self.alices_lesson):
            url = page.get_url()
            answer = self.post_link(url)
            self.assertNotIn("SECRET", answer.content.decode())
            self.assertEqual(answer.json(), {**nowhere, "result": {**nowhere["result"], "url": url, "title": url}})
        # Bob's own course converts, as Wagtail does.
        self.assertEqual(self.post_link(self.bobs.get_url()).json()["result"]["id"], self.bobs.pk)

    def test_the_pages_editor_gets_the_page(self):
        self.client.force_login(self.alice)
        chosen = self.post_link(self.alices.get_url()).json()
        self.assertEqual(chosen["step"], "external_link_chosen")
        self.assertEqual((chosen["result"]["id"], chosen["result"]["adminTitle"]), (self.alices.pk, self.SECRET))


class AdminOverridesAreNeverCachedTests(TwoTrainers):
    """panlearn's replacements of Wagtail's admin views answer as Wagtail's own do: never cached."""

    def test_each_override_says_never_cache(self):
        from panlearn.urls import _admin_overrides

        self.client.force_login(self.bob)
        urls = [
            "/admin/reports/site-history/",
            "/admin/reports/locked/",
            f"/admin/pages/{self.bobs.pk}/",
            "/admin/choose-page/",
            f"/admin/choose-page/{self.catalogue.pk}/",
            "/admin/choose-page/search/?q=x",
            "/admin/choose-external-link/",
        ]
        self.assertGreaterEqual(len(_admin_overrides), len(urls))
        for url in urls:
            response = self.client.get(url)
            self.assertIn(response.status_code, (200, 302, 403), url)
            self.assertIn("no-store", response.get("Cache-Control", ""), url)
            self.assertIn("private", response.get("Cache-Control", ""), url)
