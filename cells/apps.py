from django.apps import AppConfig


class CellsConfig(AppConfig):
    name = "cells"
    label = "panlearn_cells"
    verbose_name = "Code cells"
    default_auto_field = "django.db.models.BigAutoField"
    lesson_blocks = "cells.blocks.lesson_blocks"
    lesson_context = "cells.page_context.lesson_context"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (a deploy check; receivers)
