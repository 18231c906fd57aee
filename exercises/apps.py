from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    label = "panlearn_exercises"
    verbose_name = "Exercises"
