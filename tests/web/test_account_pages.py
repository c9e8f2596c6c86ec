"""My account (issue 10, point 10): change my password, the manager's one-time reset link, my API tokens."""

import re

from django.contrib.auth.tokens import default_token_generator
from django.test import Client, override_settings
from django.urls import reverse

from cep.accounts.models import ApiToken
from tests.api.conftest import ApiClient

PASSWORD = "motdepasse-solide-123"
NEW = "Un-nouveau-mot-de-passe-2026"


# ---------------------------------------------------------------- change my password


def test_a_user_changes_his_password(client, counselor):
    client.force_login(counselor)
    page = client.get(reverse("web:password_change")).content.decode()
    assert "Mot de passe actuel" in page and "Nouveau mot de passe" in page and '<html lang="fr"' in page
    url = reverse("web:password_change")
    wrong = client.post(url, {"old_password": "faux", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200 and "ancien mot de passe est incorrect" in wrong.content.decode()
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"})
    assert weak.status_code == 200 and "trop court" in weak.content.decode()
    done = client.post(url, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Votre mot de passe est changé." in done.content.decode()
    assert client.get(reverse("web:home")).status_code == 200  # the session stays open
    counselor.refresh_from_db()
    assert counselor.check_password(NEW)


def test_a_manager_keeps_his_second_factor_when_changing_his_password(client, manager):
    client.force_login(manager)
    url = reverse("web:password_change")
    client.post(url, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert client.get(reverse("manager:structure")).status_code == 200


# ---------------------------------------------------------------- reset link given by the manager


def _link(client, target) -> str:
    response = client.post(reverse("manager:user_password_reset", args=[target.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lien à copier" in page and "24 heures" in page
    return re.search(r'value="(http://testserver/compte/reinitialiser/[^"]+)"', page).group(1)


def _use(link: str, password: str = NEW):
    anonymous = Client()
    form = anonymous.get(link, follow=True)
    page = form.content.decode()
    if "Lien invalide ou expiré" in page:
        return page
    assert "Choisir un nouveau mot de passe" in page
    response = anonymous.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True
    )
    return response.content.decode()


def test_a_manager_gives_a_one_time_link_to_a_counselor(client, manager, counselor):
    client.force_login(manager)
    edit = client.get(reverse("manager:user_edit", args=[counselor.pk])).content.decode()
    assert "Créer un lien de réinitialisation" in edit
    link = _link(client, counselor)
    assert "Votre mot de passe est enregistré" in _use(link)
    counselor.refresh_from_db()
    assert counselor.check_password(NEW)
    assert "Lien invalide ou expiré" in _use(link, "Encore-un-autre-mot-2026")  # once only
    counselor.refresh_from_db()
    assert counselor.check_password(NEW)


def test_the_link_expires(client, manager, counselor):
    client.force_login(manager)
    link = _link(client, counselor)
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):  # any link is older than that
        assert "Lien invalide ou expiré" in _use(link)
    counselor.refresh_from_db()
    assert counselor.check_password(PASSWORD)


def test_the_new_password_follows_the_rules(client, manager, counselor):
    client.force_login(manager)
    page = _use(_link(client, counselor), "court")
    assert "trop court" in page
    counselor.refresh_from_db()
    assert counselor.check_password(PASSWORD)


def test_only_a_manager_of_the_users_structure_gives_a_link(client, manager, counselor, other_counselor):
    client.force_login(manager)
    assert client.post(reverse("manager:user_password_reset", args=[other_counselor.pk])).status_code == 404
    client.force_login(counselor)
    assert client.post(reverse("manager:user_password_reset", args=[manager.pk])).status_code == 403
    client.force_login(manager)
    own = client.post(reverse("manager:user_password_reset", args=[manager.pk]), follow=True)
    assert "utilisez « Changer mon mot de passe »" in own.content.decode()
    for user in (other_counselor, manager, counselor):
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


def test_a_link_forged_for_another_user_fails(client, counselor, manager):
    """The token is bound to its user: a valid token under another user's id is refused."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    token = default_token_generator.make_token(counselor)
    link = reverse("web:password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(manager.pk)), token])
    assert "Lien invalide ou expiré" in _use(link)


# ---------------------------------------------------------------- my API tokens


def test_a_user_creates_lists_and_revokes_his_tokens(client, counselor, beneficiary):
    client.force_login(counselor)
    url = reverse("web:api_tokens")
    page = client.get(url).content.decode()
    assert "Aucun jeton." in page and "90 jours" in page
    response = client.post(url, {"name": "Logiciel métier", "days": "30"})
    page = response.content.decode()
    key = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    token = ApiToken.objects.get(user=counselor)
    assert token.key_hash == ApiToken.hash(key) and "Jamais utilisé" in page and "Actif" in page
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert ApiClient(key).get(f"beneficiaries/{beneficiary.pk}").status_code == 200
    page = client.get(url).content.decode()
    assert key not in page and "Jamais utilisé" not in page  # shown once; last use now shown
    revoked = client.post(reverse("web:api_token_revoke", args=[token.pk]), follow=True).content.decode()
    assert "est révoqué" in revoked and "Révoqué" in revoked
    assert ApiClient(key).get(f"beneficiaries/{beneficiary.pk}").status_code == 401


def test_token_form_errors_are_french_and_write_nothing(client, counselor):
    client.force_login(counselor)
    response = client.post(reverse("web:api_tokens"), {"name": "", "days": "9999"})
    page = response.content.decode()
    assert "Donnez un nom au jeton." in page and "Choisissez une durée de la liste." in page
    assert not ApiToken.objects.exists()


def test_another_users_token_cannot_be_revoked(client, counselor, other_counselor):
    token, key = ApiToken.issue(other_counselor)
    client.force_login(counselor)
    assert client.post(reverse("web:api_token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_header_links_to_my_account(client, counselor):
    client.force_login(counselor)
    page = client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse("web:account")}"' in page
