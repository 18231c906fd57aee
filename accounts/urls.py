from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import second_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-up/", views.sign_up, name="sign_up"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("account/", views.account, name="account"),
    path("confirm-email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("account/confirm-email/", views.email_confirmation_resend, name="email_confirmation_resend"),
    path("account/identities/<int:identity_id>/unlink/", views.pan_identity_unlink_view, name="pan_identity_unlink"),
    path("oidc/login/", views.oidc_login, name="oidc_login"),
    path("oidc/link/", views.oidc_link, name="oidc_link"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
    path("oidc/new-account/", views.oidc_new_account, name="oidc_new_account"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-step/set-up/", second_factor_views.second_factor_setup, name="second_factor_setup"),
    path("two-step/", second_factor_views.second_factor_verify, name="second_factor_verify"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
