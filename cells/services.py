"""Writes for live code cells: saving a student's code with versions, refusing stale overwrites."""

import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import CellDraft, CellDraftVersion


class DraftConflict(Exception):
    """Another tab saved a newer version since the one this save started from."""

    def __init__(self, draft: CellDraft):
        super().__init__("This cell was changed in another tab.")
        self.draft = draft


class DraftTooLarge(Exception):
    pass


@transaction.atomic
def draft_save(*, user, page, cell_id: str, code: str, base_version: int) -> CellDraft:
    """Save a cell's code as a new version, unless another tab saved since `base_version`.

    The row is locked for the check and the write, so two tabs saving at once cannot both win.
    Every version is kept in the history (up to PANLEARN_CELLS_DRAFT_HISTORY), the current one too.
    """
    limit = settings.PANLEARN_CELLS_MAX_DRAFT_BYTES
    if len(code.encode("utf-8", errors="replace")) > limit:
        raise DraftTooLarge(f"This code is over {limit // 1024} KiB and cannot be saved.")
    draft = CellDraft.objects.select_for_update().filter(user=user, page=page, cell_id=cell_id).first()
    if draft is None:
        if base_version:
            # The draft this tab started from is gone (never saved here): treat as a conflict with "nothing".
            raise DraftConflict(CellDraft(user=user, page=page, cell_id=cell_id, code="", version=0))
        try:
            with transaction.atomic():  # a savepoint: another tab may create the row at the same moment
                draft = CellDraft.objects.create(user=user, page=page, cell_id=cell_id, code=code, version=1)
        except IntegrityError:
            raise DraftConflict(CellDraft.objects.get(user=user, page=page, cell_id=cell_id)) from None
    elif draft.version != base_version:
        raise DraftConflict(draft)
    elif draft.code == code:
        return draft
    else:
        draft.code, draft.version = code, draft.version + 1
        draft.save(update_fields=["code", "version", "saved_at"])
    CellDraftVersion.objects.create(draft=draft, version=draft.version, code=code, saved_at=timezone.now())
    keep = settings.PANLEARN_CELLS_DRAFT_HISTORY
    CellDraftVersion.objects.filter(draft=draft, version__lte=draft.version - keep).delete()
    return draft


def example_output_save(*, page, cell_id: str, parts: list[dict], user) -> None:
    """Store `parts` as the cell's example output in a new revision of the lesson (not published).

    `page` is the latest revision's object; the editor publishes when they are happy with it.
    """
    for block in page.body:
        if block.id == cell_id and block.block_type == "code_cell":
            block.value["example_output"] = json.dumps(parts)
            break
    else:
        raise LookupError(cell_id)
    page.save_revision(user=user, log_action=True)
