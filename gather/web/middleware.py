"""Puts the signed-in user's current team on the request."""

from gather.accounts.selectors import team_for_user

SESSION_TEAM = "team_id"


class TeamMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "team"):
            request.team = None
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                request.team = team_for_user(user=user, team_id=request.session.get(SESSION_TEAM))
        return self.get_response(request)
