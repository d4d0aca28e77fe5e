"""Dates and numbers read one way per language (kehriz/formats), and labels are capitalised the
Azerbaijani way on Azerbaijani pages (projects/templatetags/kehriz_text.py)."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format, number_format

from projects.models import Observation
from projects.templatetags.kehriz_text import az_capfirst, upper_first

DAY = datetime.date(2024, 3, 13)


def render(source, **context):
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "date", "month", "number", "floatformat"),
    [
        ("az", "13 mart 2024", "iyul 2024", "1\xa0234,50", "5,76 l/san"),
        ("en", "March 13, 2024", "July 2024", "1,234.50", "5.76 L/s"),
    ],
)
def test_a_date_and_a_number_in_each_language(language, date, month, number, floatformat):
    with translation.override(language):
        assert date_format(DAY) == date
        assert render("{{ day|date }}", day=DAY) == date
        assert date_format(datetime.date(2024, 7, 1), "YEAR_MONTH_FORMAT") == month
        assert number_format(Decimal("1234.5"), 2, force_grouping=True) == number
        rendered = render(
            '{% load i18n %}{{ lps|floatformat:"-2" }} {% translate "L/s" %}', lps=Decimal("5.76")
        )
        assert rendered == floatformat


def test_no_month_is_capitalised_or_oddly_shortened_in_azerbaijani():
    with translation.override("az"):
        names = [date_format(datetime.date(2024, month, 1), "F") for month in range(1, 13)]
        short = [date_format(datetime.date(2024, month, 1), "b") for month in range(1, 13)]
    assert names == [
        "yanvar", "fevral", "mart", "aprel", "may", "iyun",
        "iyul", "avqust", "sentyabr", "oktyabr", "noyabr", "dekabr",
    ]  # fmt: skip
    assert short == ["yan", "fev", "mar", "apr", "may", "iyn", "iyl", "avq", "sen", "okt", "noy", "dek"]


@pytest.mark.parametrize("typed", ["13.03.2024", "2024-03-13"])
def test_a_date_field_takes_the_azerbaijani_and_the_iso_date(typed):
    with translation.override("az"):
        field = forms.DateField(localize=True)
        assert field.clean(typed) == DAY


@pytest.mark.parametrize(
    ("text", "az", "en"),
    [
        ("işlək", "İşlək", "Işlək"),
        ("ıslaq", "Islaq", "Islaq"),
        ("içməli su", "İçməli su", "Içməli su"),
        ("istifadəçilər", "İstifadəçilər", "Istifadəçilər"),
        ("restored", "Restored", "Restored"),
        ("", "", ""),
    ],
)
def test_capfirst_knows_the_dotted_i(text, az, en):
    with translation.override("az"):
        assert upper_first(text) == az
        assert az_capfirst(text) == az
        assert render("{{ x|capfirst }}", x=text) == az
        assert render("{{ x|az_capfirst }}", x=text) == az
    with translation.override("en"):
        assert render("{{ x|capfirst }}", x=text) == en


def test_form_labels_have_a_dotted_capital_i():
    """Model forms (the admin's too) capitalise their labels in Python, not in a template."""
    form = forms.modelform_factory(Observation, fields=["functionality"])()
    with translation.override("az"):
        assert str(form["functionality"].label) == "İşləkliyi"
    with translation.override("en"):
        assert str(form["functionality"].label) == "Functionality"


def test_the_dashboard_chart_writes_its_numbers_in_the_page_language():
    from projects.dashboard_charts import bar_chart_svg

    bars = [("a", 1.5), ("b", 2.0), ("c", None)]
    with translation.override("az"):
        svg = bar_chart_svg(bars, title="t", description="d", unit="l/san")
    assert "<title>a: 1,5 l/san</title>" in svg
    assert "<title>b: 2 l/san</title>" in svg
    assert "1.5" not in svg
    with translation.override("en"):
        assert "<title>a: 1.5 L/s</title>" in bar_chart_svg(bars, title="t", description="d", unit="L/s")
