"""Sign-in and sign-out (Django's views, DSFR form; sign-out by POST only)."""

from django.contrib.auth import views as auth_views

from web.forms.auth import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]
