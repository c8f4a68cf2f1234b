from django.urls import path

from . import settings_pages as pages

urlpatterns = [
    path("settings", pages.settings_home, name="settings"),
    path("settings/team/models", pages.models_index, name="settings-models"),
    path("settings/team/models/<str:model_id>", pages.model_detail, name="settings-model"),
    path(
        "settings/team/models/<str:model_id>/delete",
        pages.model_delete,
        name="settings-model-delete",
    ),
    path("settings/team/developer", pages.developer, name="settings-developer"),
    path(
        "settings/team/developer/keys/<int:key_id>/revoke",
        pages.apikey_revoke,
        name="settings-apikey-revoke",
    ),
    path("settings/team/members", pages.members, name="settings-members"),
    path("settings/team/history", pages.history, name="settings-history"),
    path(
        "settings/team/members/invites/<int:invite_id>/revoke",
        pages.invite_revoke,
        name="settings-invite-revoke",
    ),
    path("settings/team/switch", pages.switch_team, name="settings-switch-team"),
    path("invite/<str:token>", pages.invite_accept, name="invite"),
]
