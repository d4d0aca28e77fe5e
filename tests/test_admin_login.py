"""The admin's login tells a field officer without staff status, whose name and password are right,
that the admin is for data managers and where the field app is, instead of "wrong password"."""

import pytest
from django.test import Client

from projects import roles
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase"


def sign_in(username, password):
    client = Client(HTTP_ACCEPT_LANGUAGE="az")
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})


@pytest.fixture
def officer_without_staff(goranboy):
    officer = factories.UserFactory(username="sahe", roles=[roles.FIELD_OFFICER], is_staff=False)
    officer.set_password(PASSWORD)
    officer.save()
    return officer


def test_a_field_officer_is_sent_to_the_field_app(officer_without_staff):
    response = sign_in("sahe", PASSWORD)
    assert response.status_code == 200  # the form again, not signed in to the admin
    page = response.content.decode()
    assert "idarəetmə paneli yalnız məlumat menecerləri üçündür" in page
    assert '<a href="/field/">Sahə tətbiqini açın</a>' in page
    assert "doğru" not in page  # not "enter the correct username and password"


def test_a_wrong_password_is_still_a_wrong_password(officer_without_staff):
    page = sign_in("sahe", "not-the-password").content.decode()
    assert "doğru" in page
    assert "/field/" not in page
    assert "məlumat menecerləri üçündür" not in page


def test_an_inactive_account_learns_nothing_more(officer_without_staff):
    officer_without_staff.is_active = False
    officer_without_staff.save()
    page = sign_in("sahe", PASSWORD).content.decode()
    assert "məlumat menecerləri üçündür" not in page
