from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    label = "panlearn_exercises"
    verbose_name = "Exercises"
    lesson_blocks = "exercises.blocks.lesson_blocks"
    lesson_context = "exercises.page_context.lesson_context"
    lesson_body_check = "exercises.access.unmanaged_exercises_in"
