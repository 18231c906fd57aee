from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "invitations"
    label = "panlearn_invitations"
    verbose_name = "Bulk invitations"
    default_auto_field = "django.db.models.BigAutoField"
