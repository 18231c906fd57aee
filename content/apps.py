from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    label = "panlearn_content"
    verbose_name = "Datasets and demo content"
    lesson_blocks = "content.blocks.lesson_blocks"
