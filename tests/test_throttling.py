"""The API's throttles: anonymous reads (the map layers, the exports) and authenticated clients
are limited per address or per user; a 429 says, in the request's language, when to come back,
and carries Retry-After. The rates here are tiny (override of REST_FRAMEWORK's rates) to keep the
tests small; the shipped ones (300/minute anonymous, 1200/minute per user, 30/minute for exports)
leave room for a field phone sending a day's queue at once. Each test starts with an empty cache
(tests/conftest.py), which is where the counts are kept."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from projects import roles, throttling
from tests.factories import KehrizFactory, UserFactory

MAP = reverse("projects:api-kehriz-map")
BOUNDARIES = reverse("projects:api-district-boundaries")
EXPORT = reverse("projects:api-export", kwargs={"kind": "kehriz", "fmt": "csv"})
KEHRIZ = reverse("projects:api-kehriz-list")


@pytest.fixture
def rates(settings):
    """Set some throttle rates (the others keep their shipped values)."""

    def set_rates(**changed):
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **changed},
        }

    return set_rates


def visitor(address="198.51.100.7", language="en", **extra):
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)


def statuses(client, url, times):
    return [client.get(url).status_code for _ in range(times)]


def assert_throttled(response, message_start="Too many requests. Try again in"):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    detail = response.json()["detail"]
    assert detail.startswith(message_start), detail
    assert str(wait) in detail  # the same wait as the header
    return wait


@pytest.fixture
def published(cebrayil):
    return KehrizFactory(name="Əsgər", district=cebrayil, is_published=True)


# --- Anonymous ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [MAP, BOUNDARIES], ids=["map", "boundaries"])
def test_anonymous_map_layers_are_throttled_per_address(rates, published, url):
    rates(anon="3/minute")
    client = visitor()
    assert statuses(client, url, 3) == [200, 200, 200]
    assert_throttled(client.get(url))
    # Someone else, at another address, is not held back.
    assert visitor("192.0.2.44").get(url).status_code == 200


@pytest.mark.django_db
def test_the_429_speaks_the_requests_language(rates, published):
    rates(anon="1/minute")
    client = visitor(language="az")
    assert client.get(MAP).status_code == 200
    wait = assert_throttled(client.get(MAP), "Həddindən çox sorğu.")
    assert f"{wait} saniyədən sonra yenidən cəhd edin" in client.get(MAP).json()["detail"]


@pytest.mark.django_db
def test_the_throttle_lets_the_client_back_after_the_wait(rates, published, monkeypatch):
    rates(anon="2/minute")
    client = visitor()
    assert statuses(client, MAP, 2) == [200, 200]
    wait = assert_throttled(client.get(MAP))
    now = throttling.AnonRateThrottle.timer()
    monkeypatch.setattr(throttling.AnonRateThrottle, "timer", lambda self: now + wait + 1)
    assert client.get(MAP).status_code == 200


@pytest.mark.django_db
def test_exports_have_a_stricter_rate_of_their_own(rates, published):
    rates(anon="100/minute", exports="2/minute")
    client = visitor()
    assert statuses(client, EXPORT, 2) == [200, 200]
    assert_throttled(client.get(EXPORT))
    # The map is still there for that visitor: only the exports are held back.
    assert client.get(MAP).status_code == 200


@pytest.mark.django_db
def test_exports_are_counted_per_user_for_signed_in_people(rates, published, manager_client, viewer_client):
    rates(exports="2/minute")
    assert statuses(manager_client, EXPORT, 2) == [200, 200]
    assert_throttled(manager_client.get(EXPORT))
    assert viewer_client.get(EXPORT).status_code == 200


@pytest.mark.django_db
def test_without_a_proxy_a_forged_forwarded_for_header_does_not_escape(rates, published):
    rates(anon="2/minute")
    responses = [visitor(HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").get(MAP) for n in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]


@pytest.mark.django_db
def test_behind_a_proxy_each_client_address_is_counted_on_its_own(rates, settings, published):
    """With one proxy (PROXY_COUNT=1, which sets NUM_PROXIES), every request comes from the proxy's
    address, and the client's is the last of X-Forwarded-For."""
    rates(anon="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"
    one = visitor(proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert statuses(one, MAP, 2) == [200, 200]
    assert_throttled(one.get(MAP))
    # The same client, forging an address in front of the proxy's entry, is still itself.
    assert visitor(proxy, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5").get(MAP).status_code == 429
    # Another client behind the same proxy is not held back.
    assert visitor(proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").get(MAP).status_code == 200


# --- Authenticated clients ---------------------------------------------------------------------


def token_client(user):
    return Client(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}", HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.django_db
def test_an_authenticated_client_is_throttled_per_user(rates, published):
    rates(user="3/minute", anon="1/minute")
    device = token_client(UserFactory(username="device", roles=[roles.DATA_MANAGER]))
    # The anonymous rate does not apply to a signed-in client: only its own.
    assert statuses(device, KEHRIZ, 3) == [200, 200, 200]
    assert_throttled(device.get(KEHRIZ))
    # Writes count too: the phone's queue waits and is sent again later (field.js retries a 429).
    assert device.post(KEHRIZ, {}, content_type="application/json").status_code == 429
    # Another user from the same address is not held back.
    other = token_client(UserFactory(username="other", roles=[roles.VIEWER]))
    assert other.get(KEHRIZ).status_code == 200


@pytest.mark.django_db
def test_a_session_user_is_throttled_per_user_too(rates, published, viewer_client):
    rates(user="2/minute")
    assert statuses(viewer_client, MAP, 2) == [200, 200]
    assert_throttled(viewer_client.get(MAP))


@pytest.mark.django_db
def test_the_shipped_rates_leave_room_for_a_days_queue(published):
    """A field phone back in coverage sends its day (a few dozen visits, and photos) at once:
    well under the per-user rate. 150 requests in a row, none refused."""
    device = token_client(UserFactory(username="device", roles=[roles.DATA_MANAGER]))
    assert set(statuses(device, KEHRIZ, 150)) == {200}
    assert set(statuses(visitor(), MAP, 150)) == {200}
