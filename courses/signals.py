"""Keep roles in step with the page tree, whoever creates the pages (admin, loader, API)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import CatalogueIndexPage, CoursePage


@receiver(post_save, sender=CatalogueIndexPage)
def catalogue_saved(sender, instance: CatalogueIndexPage, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from .services import trainers_group_setup

        trainers_group_setup()


@receiver(post_save, sender=CoursePage)
def course_saved(sender, instance: CoursePage, created: bool, raw: bool = False, **kwargs) -> None:
    """The trainer who creates a course may edit and publish it and all its lessons."""
    if created and not raw and instance.owner_id:
        from .services import course_grant_editing

        course_grant_editing(course=instance, user=instance.owner)
