"""Nobody can guess a password: after AXES_FAILURE_LIMIT (5) wrong passwords for one user name from
one address, the admin's and the field app's logins refuse that pair, even with the right
password, until the cool-off (15 minutes) has passed or a data manager lifts the lock in the admin.
The locked-out person is told so in their language, and when to try again. Behind a reverse proxy
the address comes from X-Forwarded-For (PROXY_COUNT). Data managers also revoke API tokens."""

import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client
from django.test.client import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from projects import lockout, roles
from tests.browser import require_chromium, screenshot, start_chromium, stop_chromium
from tests.factories import UserFactory

PASSWORD = "kəhriz-Ağdam-2026"
LOGINS = {
    "admin": reverse("admin:login"),
    "field": reverse("projects:field-login"),
}
ATTEMPTS = reverse("admin:axes_accessattempt_changelist")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Real password checks, with a fast hasher (the default one takes ~0.1 s per attempt)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer(db):
    user = UserFactory(username="leyla", roles=[roles.FIELD_OFFICER])
    user.set_password(PASSWORD)
    user.save()
    return user


def person(address="198.51.100.7", language="en", **extra):
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)


def sign_in(client, login, username, password):
    return client.post(login, {"username": username, "password": password})


def signed_in(client):
    return SESSION_KEY in client.session


def fail(client, login, times, username="leyla"):
    return [sign_in(client, login, username, "wrong password").status_code for _ in range(times)]


def minutes_pass(minutes):
    """Move every recorded failure back in time, as if that many minutes had gone by."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes))


# --- Lockout, cool-off, lifting ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(officer, login):
    client = person()
    # Four wrong passwords: the form says so, and the fifth try is still allowed.
    assert fail(client, login, 4) == [200] * 4
    # The fifth locks the pair out.
    locked = sign_in(client, login, "leyla", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Now the right password is refused too.
    response = sign_in(client, login, "leyla", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_the_lock_ends_after_the_cool_off(officer, login):
    client = person()
    fail(client, login, 5)
    minutes_pass(14)
    assert sign_in(client, login, "leyla", PASSWORD).status_code == 429
    assert not signed_in(client)
    minutes_pass(2)  # 16 minutes after the last failure
    response = sign_in(client, login, "leyla", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_tries_during_the_lock_do_not_move_the_promised_time(officer):
    """The page says when the person can try again; trying before then (even many times) does not
    push that time further."""
    client = person()
    fail(client, LOGINS["field"], 5)
    minutes_pass(10)
    assert fail(client, LOGINS["field"], 3) == [429] * 3
    assert sign_in(client, LOGINS["field"], "leyla", PASSWORD).status_code == 429
    minutes_pass(6)
    assert sign_in(client, LOGINS["field"], "leyla", PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_a_data_manager_lifts_the_lock_in_the_admin(officer, manager_client, login):
    client = person()
    fail(client, login, 5)
    assert sign_in(client, login, "leyla", PASSWORD).status_code == 429

    # The data manager finds the lockout in the admin's list of access attempts …
    listing = manager_client.get(ATTEMPTS, {"locked_out": "yes"})
    assert listing.status_code == 200
    attempts = list(listing.context["cl"].result_list)
    assert [(a.username, a.ip_address) for a in attempts] == [("leyla", "198.51.100.7")]
    assert "leyla" in listing.content.decode()
    # … and deletes it, the admin's way (confirmation page, then the POST).
    delete_url = reverse("admin:axes_accessattempt_delete", args=[attempts[0].pk])
    assert manager_client.get(delete_url).status_code == 200
    assert manager_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()

    response = sign_in(client, login, "leyla", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_a_data_manager_lifts_several_locks_at_once(officer, manager_client):
    other = UserFactory(username="rauf", roles=[roles.FIELD_OFFICER])
    other.set_password(PASSWORD)
    other.save()
    fail(person(), LOGINS["admin"], 5)
    fail(person("203.0.113.9"), LOGINS["field"], 5, username="rauf")
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    confirm = manager_client.post(ATTEMPTS, {"action": "delete_selected", "_selected_action": ids})
    assert confirm.status_code == 200  # the confirmation page
    done = manager_client.post(
        ATTEMPTS, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert done.status_code == 302
    assert not AccessAttempt.objects.exists()
    client = person("203.0.113.9")
    assert sign_in(client, LOGINS["field"], "rauf", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_data_manager_finds_a_lockout_by_user_name_in_azerbaijani(officer, data_manager):
    other = UserFactory(username="rauf")
    other.set_password(PASSWORD)
    other.save()
    fail(person(), LOGINS["field"], 5)
    fail(person("203.0.113.9"), LOGINS["field"], 2, username="rauf")
    manager = Client(HTTP_ACCEPT_LANGUAGE="az")
    manager.force_login(data_manager)

    index = manager.get(reverse("admin:index")).content.decode()
    assert "Giriş cəhdləri" in index

    listing = manager.get(ATTEMPTS, {"q": "leyla"})
    assert [a.username for a in listing.context["cl"].result_list] == ["leyla"]
    text = _text(listing)
    assert "Bloklanıb" in text
    assert "Uğursuz girişlər" in text
    # The other, not locked, shows how many tries remain.
    text = _text(manager.get(ATTEMPTS, {"q": "rauf"}))
    assert "3 cəhd qalıb" in text


@pytest.mark.django_db
@pytest.mark.parametrize("client_fixture", ["viewer_client", "officer_client"])
def test_only_data_managers_see_the_lockouts(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    assert client.get(ATTEMPTS).status_code == 403


@pytest.mark.django_db
def test_data_managers_cannot_edit_a_lockout(officer, manager_client):
    fail(person(), LOGINS["admin"], 5)
    attempt = AccessAttempt.objects.get()
    page = manager_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert manager_client.get(reverse("admin:axes_accessattempt_add")).status_code == 403


# --- Who counts together -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_a_correct_sign_in_resets_the_count(officer, login):
    client = person()
    assert fail(client, login, 4) == [200] * 4
    assert sign_in(client, login, "leyla", PASSWORD).status_code == 302
    client.logout()
    # Four more failures: with the earlier four still counted, the fifth would have locked.
    assert fail(client, login, 4) == [200] * 4
    assert sign_in(client, login, "leyla", PASSWORD).status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_another_user_at_the_same_address_is_not_locked_out(officer):
    colleague = UserFactory(username="rauf", roles=[roles.FIELD_OFFICER])
    colleague.set_password(PASSWORD)
    colleague.save()
    fail(person(), LOGINS["field"], 5)
    # Same office, same address: the colleague signs in.
    client = person()
    assert sign_in(client, LOGINS["field"], "rauf", PASSWORD).status_code == 302
    assert signed_in(client)


@pytest.mark.django_db
def test_the_same_user_at_another_address_is_not_locked_out(officer):
    fail(person("198.51.100.7"), LOGINS["field"], 5)
    client = person("192.0.2.44")
    assert sign_in(client, LOGINS["field"], "leyla", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_without_a_proxy_a_forged_forwarded_for_header_changes_nothing(officer, settings):
    settings.PROXY_COUNT = 0
    for n in range(5):
        sign_in(person(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), LOGINS["field"], "leyla", "wrong")
    client = person(HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert sign_in(client, LOGINS["field"], "leyla", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@pytest.mark.django_db
def test_behind_a_proxy_each_client_address_counts_on_its_own(officer, settings):
    """Every request comes from the proxy (10.0.0.2), which appends the client's address to
    X-Forwarded-For: one person's failures must not lock out everybody behind the proxy, and
    what the client itself wrote in the header must not help it."""
    settings.PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(5):
        # An attacker varies the part of the header it controls; the proxy adds its real address.
        attacker = person(proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.66")
        sign_in(attacker, LOGINS["admin"], "leyla", "wrong")
    attacker = person(proxy, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.66")
    assert sign_in(attacker, LOGINS["admin"], "leyla", PASSWORD).status_code == 429
    # The real Leyla, elsewhere, behind the same proxy.
    leyla = person(proxy, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert sign_in(leyla, LOGINS["admin"], "leyla", PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.2"),
        (0, "192.0.2.1", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "192.0.2.1, 203.0.113.5", "203.0.113.5"),
        (2, "192.0.2.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "unknown", "10.0.0.2"),
    ],
)
def test_the_client_address(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **extra)
    assert lockout.client_ip_address(request) == expected


# --- What the locked-out person sees -----------------------------------------------------------


def _text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Sign-in locked", "Too many failed sign-ins for the user name “leyla”", "(in 15 minutes)"]),
        (
            "az",
            [
                "Giriş bloklanıb",
                "“leyla” istifadəçi adı ilə sizin ünvanınızdan çox sayda uğursuz giriş cəhdi olub",
                "(15 dəqiqədən sonra)",
            ],
        ),
    ],
)
@pytest.mark.parametrize("login", LOGINS.values(), ids=LOGINS.keys())
def test_the_lockout_message_in_the_persons_language(officer, login, language, expected):
    client = person(language=language)
    fail(client, login, 4)
    response = sign_in(client, login, "leyla", "wrong password")
    assert response.status_code == 429
    text = _text(response)
    for part in expected:
        assert part in text, (part, text)
    # When: the time of the last failure plus the cool-off, in Baku time, as the page says it.
    last = AccessAttempt.objects.get().attempt_time
    until = timezone.localtime(last + datetime.timedelta(minutes=15)).strftime("%H:%M")
    assert until in text
    # A script may rely on Retry-After: the seconds until then.
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    # A way back to the login page (keeping where the person was going).
    assert f'href="{login}"' in response.content.decode()
    # The page is in the person's language.
    assert f'lang="{language}"' in response.content.decode()


@pytest.mark.django_db
def test_the_lockout_page_has_the_look_of_the_login_page_used(officer):
    client = person()
    fail(client, LOGINS["admin"], 4)
    admin_page = sign_in(client, LOGINS["admin"], "leyla", "wrong password")
    assert admin_page.status_code == 429
    admin_html = admin_page.content.decode()
    assert "admin/css/login.css" in admin_html  # the admin's login look
    assert 'id="site-name"' in admin_html
    assert 'name="password"' not in admin_html  # no form to try again on before the time

    fail(client, LOGINS["field"], 4, username="nobody")
    field_page = sign_in(client, LOGINS["field"], "nobody", "wrong password")
    assert field_page.status_code == 429
    field_html = field_page.content.decode()
    assert "projects/field/field.css" in field_html  # the field app's look
    assert '<main id="content" class="field">' in field_html
    assert 'name="password"' not in field_html


@pytest.mark.django_db
def test_the_next_page_is_kept_on_the_way_back(officer):
    client = person()
    login = LOGINS["field"] + "?next=/field/"
    fail(client, login, 4)
    response = sign_in(client, login, "leyla", "wrong password")
    assert 'href="/field/login/?next=/field/"' in response.content.decode()


@pytest.mark.django_db
def test_a_script_gets_the_message_as_json(officer):
    client = person(language="az", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    fail(client, LOGINS["field"], 4)
    response = sign_in(client, LOGINS["field"], "leyla", "wrong password")
    assert response.status_code == 429
    assert "çox sayda uğursuz giriş cəhdi" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("login", "width"), [("field", 360), ("admin", 1280)])
def test_in_a_browser_the_locked_out_person_reads_why_and_until_when(live_server, officer, login, width):
    """Five wrong passwords typed into the real form, in Azerbaijani: the page (the login page's
    look, no sideways scrolling on a phone) says why and until when, and leads back."""
    require_chromium()
    driver = start_chromium(width=width, height=800, language="az")
    try:
        for _attempt in range(5):
            driver.get(live_server.url + LOGINS[login])
            driver.find_element(By.NAME, "username").send_keys("leyla")
            password = driver.find_element(By.NAME, "password")
            password.send_keys("yanlış parol")
            password.submit()
            # The answer's page, not the form still on screen while it loads.
            WebDriverWait(driver, 10).until(staleness_of(password))
            WebDriverWait(driver, 10).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )
        assert driver.find_element(By.TAG_NAME, "h1").text == "Giriş bloklanıb"
        alert = driver.find_element(By.CSS_SELECTOR, "[role=alert]")
        last = AccessAttempt.objects.get().attempt_time
        until = timezone.localtime(last + datetime.timedelta(minutes=15)).strftime("%H:%M")
        assert (
            "“leyla” istifadəçi adı ilə sizin ünvanınızdan çox sayda uğursuz giriş cəhdi olub" in alert.text
        )
        assert f"saat {until}" in alert.text
        assert alert.is_displayed()
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width + 1
        screenshot(driver, f"lockout-{login}-{width}")
        driver.find_element(By.LINK_TEXT, "Girişə qayıt").click()
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.NAME, "password"))
    finally:
        stop_chromium(driver)


# --- API tokens: revoked by a data manager -----------------------------------------------------

TOKENS = reverse("admin:authtoken_tokenproxy_changelist")
API = reverse("projects:api-kehriz-list")


@pytest.mark.django_db
def test_a_data_manager_revokes_a_token_and_it_stops_working(officer, manager_client):
    token = Token.objects.create(user=officer)
    device = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert device.get(API).status_code == 200

    listing = manager_client.get(TOKENS)
    assert listing.status_code == 200
    assert [t.user for t in listing.context["cl"].result_list] == [officer]
    delete_url = reverse("admin:authtoken_tokenproxy_delete", args=[officer.pk])
    assert manager_client.get(delete_url).status_code == 200
    assert manager_client.post(delete_url, {"post": "yes"}).status_code == 302

    assert not Token.objects.filter(key=token.key).exists()
    response = device.get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_data_manager_cannot_create_or_change_a_token(officer, manager_client):
    add_url = reverse("admin:authtoken_tokenproxy_add")
    assert manager_client.get(add_url).status_code == 403
    assert manager_client.post(add_url, {"user": officer.pk}).status_code == 403
    assert not Token.objects.exists()

    Token.objects.create(user=officer)
    change_url = reverse("admin:authtoken_tokenproxy_change", args=[officer.pk])
    assert manager_client.get(change_url).status_code == 403
    assert manager_client.post(change_url, {"user": officer.pk}).status_code == 403


@pytest.mark.django_db
def test_a_data_manager_never_sees_a_whole_token_key(officer, data_manager, manager_client):
    """A whole key would let a data manager act as its owner (a superuser's included): the list
    and the revoke page show its first characters only; a superuser, who hands keys to devices,
    sees them whole."""
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    keys = [Token.objects.create(user=user).key for user in (officer, boss)]
    listing = manager_client.get(TOKENS).content.decode()
    delete_page = manager_client.get(reverse("admin:authtoken_tokenproxy_delete", args=[boss.pk]))
    assert delete_page.status_code == 200
    for key in keys:
        assert key not in listing
        assert key[:6] + "…" in listing
    assert keys[1] not in delete_page.content.decode()
    assert keys[1][:6] + "…" in delete_page.content.decode()

    superuser = Client()
    superuser.force_login(boss)
    assert all(key in superuser.get(TOKENS).content.decode() for key in keys)


@pytest.mark.django_db
@pytest.mark.parametrize("client_fixture", ["viewer_client", "officer_client"])
def test_other_roles_do_not_see_tokens(request, client_fixture):
    assert request.getfixturevalue(client_fixture).get(TOKENS).status_code == 403
