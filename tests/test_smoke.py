import pytest

from projects.models import District


@pytest.mark.django_db
def test_real_districts_are_loaded():
    assert District.objects.count() == 79
    assert set(District.objects.programme().values_list("name_az", flat=True)) == {
        "Ağdam rayonu",
        "Goranboy rayonu",
        "Qazax rayonu",
        "Cəbrayıl rayonu",
    }
