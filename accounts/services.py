from django.contrib.auth.models import User
from django.db import transaction


@transaction.atomic
def user_sign_up(*, username: str, email: str, password: str, first_name: str = "") -> User:
    return User.objects.create_user(username=username, email=email, password=password, first_name=first_name)
