from django.contrib.auth.views import LogoutView
from django.urls import path

from . import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("login", pages.SignInView.as_view(), name="login"),
    path("logout", LogoutView.as_view(), name="logout"),
    path("signup", pages.signup, name="signup"),
]
