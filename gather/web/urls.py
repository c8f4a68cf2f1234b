from django.contrib.auth.views import LogoutView
from django.urls import path

from . import pages, views_pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("login", pages.SignInView.as_view(), name="login"),
    path("logout", LogoutView.as_view(), name="logout"),
    path("signup", pages.signup, name="signup"),
    path("views", views_pages.views_index, name="views"),
    path("views/<str:view_id>", views_pages.view_detail, name="view_detail"),
    path("views/<str:view_id>/save", views_pages.view_save, name="view_save"),
    path("views/<str:view_id>/rename", views_pages.view_rename, name="view_rename"),
    path("views/<str:view_id>/delete", views_pages.view_delete, name="view_delete"),
    path("views/<str:view_id>/export.csv", views_pages.view_export, name="view_export"),
    path("views/<str:view_id>/records/<path:key>", views_pages.view_record, name="view_record"),
]
