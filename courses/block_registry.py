"""Lets other apps add blocks to the lesson body without `courses` importing them.

An app declares `lesson_blocks = "dotted.path.to.callable"` on its AppConfig; the
callable returns `(name, block)` pairs. The lesson StreamBlock is assembled from the
core blocks plus every declared provider, in INSTALLED_APPS order. An app whose blocks name things
that not every editor may use declares `lesson_body_check` too (`lesson_body_problems`).
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

BlockSpec = tuple[str, Any]


def collect_lesson_blocks(core_blocks: Iterable[BlockSpec], app_configs: Iterable[AppConfig]) -> list[BlockSpec]:
    """Core blocks first, then each app's blocks; a name used twice is a configuration error."""
    collected: list[BlockSpec] = list(core_blocks)
    owners = {name: "courses" for name, _ in collected}
    for config in app_configs:
        provider_path = getattr(config, "lesson_blocks", None)
        if not provider_path:
            continue
        provider: Callable[[], Iterable[BlockSpec]] = import_string(provider_path)
        for name, block in provider():
            if name in owners:
                raise ImproperlyConfigured(
                    f"Lesson block {name!r} from {config.label} clashes with one from {owners[name]}."
                )
            owners[name] = config.label
            collected.append((name, block))
    return collected


def lesson_blocks(core_blocks: Iterable[BlockSpec]) -> list[BlockSpec]:
    return collect_lesson_blocks(core_blocks, apps.get_app_configs())


def lesson_context(*, page, request) -> dict:
    """Extra lesson-template context from apps declaring `lesson_context = "dotted.path"` on their AppConfig.

    Apps that add blocks needing page-level set-up (live code cells: the container's attributes and
    their scripts) provide it here; `lesson_assets` lists are merged (each
    bundle once), other keys are set as given.
    """
    context: dict = {"lesson_assets": {"css": [], "js": []}}
    for config in apps.get_app_configs():
        provider_path = getattr(config, "lesson_context", None)
        if not provider_path:
            continue
        extra = dict(import_string(provider_path)(page=page, request=request))
        for kind, paths in extra.pop("lesson_assets", {}).items():
            listed = context["lesson_assets"].setdefault(kind, [])
            listed.extend(path for path in paths if path not in listed)  # two apps may need one bundle
        context.update(extra)
    return context


def lesson_body_problems(*, body, user, page) -> list[str]:
    """What `user` may not save in a lesson's body, from apps declaring `lesson_body_check = "dotted.path"`
    on their AppConfig: the callable takes the cleaned body, the user and the page as stored (no pk for a
    new one) and returns messages. A block's own clean() cannot say: it does not know who saves."""
    problems: list[str] = []
    for config in apps.get_app_configs():
        check_path = getattr(config, "lesson_body_check", None)
        if check_path:
            problems.extend(import_string(check_path)(body=body, user=user, page=page))
    return problems
