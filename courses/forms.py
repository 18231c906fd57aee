"""The lesson editor's form: what other apps' blocks say its editor may not save (block_registry)."""

from wagtail.admin.forms import WagtailAdminPageForm

from .block_registry import lesson_body_problems


class LessonPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        body = cleaned.get("body")
        if body is not None and self.for_user is not None:
            for problem in lesson_body_problems(body=body, user=self.for_user, page=self.instance):
                self.add_error("body", problem)
        return cleaned
