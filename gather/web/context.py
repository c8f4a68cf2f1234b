"""Template context for every page."""

from django.utils.functional import SimpleLazyObject

from gather.accounts.selectors import teams_for_user


def teams(request) -> dict:
    """The signed-in user's teams, for the switcher in the top bar (read only when a
    page renders it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_teams": []}
    return {"user_teams": SimpleLazyObject(lambda: teams_for_user(user=user))}
