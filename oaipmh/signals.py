"""Keep the tombstones in step with what the site publishes, whoever changes it (admin, services, shell)."""

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from content.models import Dataset
from courses.models import CoursePage
from courses.selectors import page_is_public

from . import services
from .selectors import COURSE, DATASET


@receiver(page_published)
def course_published(sender, instance, **kwargs) -> None:
    if isinstance(instance, CoursePage) and page_is_public(instance):
        services.record_republish(kind=COURSE, item_id=instance.pk)


@receiver(page_unpublished)
def course_unpublished(sender, instance, **kwargs) -> None:
    """Sent for a page that was live: a public one was published until now."""
    if isinstance(instance, CoursePage) and page_is_public(instance):
        services.record_withdraw(kind=COURSE, item=instance)


@receiver(pre_delete, sender=CoursePage)
def course_deleting(sender, instance: CoursePage, **kwargs) -> None:
    """Before, while the pages above it (deleted with it, perhaps) still say whether it is public."""
    if instance.live and page_is_public(instance):
        services.record_withdraw(kind=COURSE, item=instance)


@receiver(post_page_move)
def page_moved(sender, instance: Page, parent_page_before: Page, parent_page_after: Page, **kwargs) -> None:
    services.courses_moved(
        page=instance, public_before=page_is_public(parent_page_before), public_after=page_is_public(parent_page_after)
    )


@receiver(post_save, sender=PageViewRestriction)
def restriction_saved(sender, instance: PageViewRestriction, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:  # a change of kind (password, groups) keeps the pages restricted
        services.courses_restriction_added(restriction=instance)


@receiver(post_delete, sender=PageViewRestriction)
def restriction_deleted(sender, instance: PageViewRestriction, **kwargs) -> None:
    page = Page.objects.filter(pk=instance.page_id).first()
    if page is not None:
        services.courses_restriction_removed(page=page)


@receiver(pre_save, sender=Dataset)
def dataset_saving(sender, instance: Dataset, raw: bool = False, **kwargs) -> None:
    if not raw and instance.pk is not None:
        stored = Dataset.objects.filter(pk=instance.pk).values_list("is_public", flat=True)
        instance._oai_was_public = next(iter(stored), False)


@receiver(post_save, sender=Dataset)
def dataset_saved(sender, instance: Dataset, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if instance.is_public:  # its updated_at, just now, dates the record
        services.record_republish(kind=DATASET, item_id=instance.pk)
    elif getattr(instance, "_oai_was_public", False):
        services.record_withdraw(kind=DATASET, item=instance)


@receiver(post_delete, sender=Dataset)
def dataset_deleted(sender, instance: Dataset, **kwargs) -> None:
    if instance.is_public:
        services.record_withdraw(kind=DATASET, item=instance)
