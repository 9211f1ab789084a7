from django.urls import path

from ctip.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("two-step/setup/", views.otp_setup, name="otp_setup"),
    path("two-step/verify/", views.otp_verify, name="otp_verify"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/<int:assignment_pk>/revoke/", views.role_revoke,
         name="role_revoke"),
    path("users/<int:pk>/reset-password/", views.password_reset, name="password_reset"),
    path("users/<int:pk>/enrolment-code/", views.enrolment_code_issue,
         name="enrolment_code_issue"),
]
