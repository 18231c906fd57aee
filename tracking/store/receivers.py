"""Attachment data outlives no statement: when the last row naming a file goes (erasure, a deleted
statement), the file goes once the transaction commits."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from ..models import StatementAttachment


@receiver(post_delete, sender=StatementAttachment)
def attachment_data_deleted(sender, instance: StatementAttachment, **kwargs) -> None:
    name = instance.content.name
    storage = instance.content.storage

    def delete_if_unused() -> None:
        if not StatementAttachment.objects.filter(content=name).exists():
            storage.delete(name)

    transaction.on_commit(delete_if_unused)
