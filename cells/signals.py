"""Keep cached run plans honest: a publish changes a lesson's cells, an enrolment who may run them."""

from django.contrib.auth.models import User
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from wagtail.models import PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from content.models import Dataset
from content.selectors import pages_referencing
from courses.events import enrolments_changed
from courses.models import CoursePage, Enrolment, LessonPage

from .plan_versions import bump_version
from .sessions import Who


def _bump_lessons_under(page) -> None:
    for lesson_id in LessonPage.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True):
        bump_version("page", lesson_id)


@receiver(page_published)
@receiver(page_unpublished)
def lesson_changed(sender, instance, **kwargs) -> None:
    """A lesson's cells, or a course's access settings (visitors) and publication, changed."""
    if isinstance(instance, LessonPage):
        bump_version("page", instance.pk)
    elif isinstance(instance, CoursePage):
        _bump_lessons_under(instance)


@receiver(post_page_move)
def page_moved_elsewhere(sender, instance, **kwargs) -> None:
    """A lesson moved to another course, or a course under a restricted or unpublished section."""
    _bump_lessons_under(instance)


@receiver(post_save, sender=Dataset)
def dataset_changed(sender, instance, **kwargs) -> None:
    """A dataset made private (or public) changes what the lessons that use it mount."""
    for page in pages_referencing(instance):
        bump_version("page", page.pk)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def privacy_changed(sender, instance, **kwargs) -> None:
    _bump_lessons_under(instance.page)


@receiver(m2m_changed, sender=User.groups.through)
def groups_changed(sender, instance, **kwargs) -> None:
    """Joining or leaving a course's editors group changes what the user may run (drafts, examples)."""
    if isinstance(instance, User):
        bump_version("user", Who.of(user=instance, session_key="").key)


@receiver(post_save, sender=Enrolment)
@receiver(post_delete, sender=Enrolment)
def enrolment_changed(sender, instance, **kwargs) -> None:
    bump_version("user", Who.of(user=instance.user, session_key="").key)


@receiver(enrolments_changed)
def enrolments_changed_in_bulk(sender, users, **kwargs) -> None:
    for user in users:
        bump_version("user", Who.of(user=user, session_key="").key)
