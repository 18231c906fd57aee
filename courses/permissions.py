"""Who may create a course: a model permission that only the catalogue honours.

Wagtail's page permissions flow down the tree: "add" on the catalogue would let a trainer explore,
search and add below every course in it, another trainer's drafts included. So trainers hold no
page permission on the catalogue. The catalogue's tester lets whoever has the
`panlearn_courses.add_coursepage` permission add a course there; the new course's owner then edits
it through the course's editors group (services.course_editors_group), and sees nothing else.
"""

from wagtail.models import PagePermissionTester

CREATE_COURSE_PERMISSION = "panlearn_courses.add_coursepage"


def may_create_courses(user) -> bool:
    return bool(user.is_active and user.has_perm(CREATE_COURSE_PERMISSION))


class CataloguePermissionTester(PagePermissionTester):
    def can_add_subpage(self) -> bool:
        if super().can_add_subpage():
            return True
        # The same tree rules as Wagtail's own check (subpage types, max_count), then the model permission.
        creatable = self.page.specific_class.creatable_subpage_models()
        return any(model.can_create_at(self.page) for model in creatable) and may_create_courses(self.user)
