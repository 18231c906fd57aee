from django.contrib.auth.models import User
from django.db.models import QuerySet

from .models import PanIdentity


def pan_identities_for(user: User) -> QuerySet[PanIdentity]:
    return PanIdentity.objects.filter(user=user).order_by("created_at")
