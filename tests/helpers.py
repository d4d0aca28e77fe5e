"""Helpers shared by the tests: geometry near district boundaries and admin form data."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib.gis.geos import GEOSGeometry, Point

from projects.services import metres_outside


def point_outside(district, min_m, max_m):
    """A point between ``min_m`` and ``max_m`` metres outside ``district``'s boundary.

    Computed from the boundary: each vertex is pushed away from the district's centroid until the
    measured distance falls in the range. Fails loudly rather than guessing."""
    boundary = district.boundary
    centre = boundary.centroid
    for polygon in boundary:
        for x, y in polygon.exterior_ring.coords:
            dx, dy = x - centre.x, y - centre.y
            length = (dx * dx + dy * dy) ** 0.5
            for step in range(1, 60):
                offset = step * 0.001
                candidate = Point(x + dx / length * offset, y + dy / length * offset, srid=4326)
                outside = metres_outside(candidate, district)
                if min_m <= outside <= max_m:
                    return candidate
                if outside > max_m:
                    break
    raise AssertionError(f"No point {min_m}-{max_m} m outside {district} found")


def _form_values(form):
    data = {}
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        if isinstance(form.fields[name], forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[key] = [str(v) for v in value or []]
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is None:
            data[key] = ""
        elif isinstance(value, GEOSGeometry):
            data[key] = value.geojson
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif isinstance(value, datetime.date | Decimal | int):
            data[key] = str(value)
        else:
            data[key] = value
    return data


def admin_form_data(response):
    """The POST data an unchanged admin add/change form would send, inlines included."""
    context = response.context
    data = _form_values(context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            data.update(_form_values(form))
    return data


def inline_prefix(response, model):
    """The form prefix of the inline formset of ``model`` on an admin change form."""
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"No inline for {model.__name__}")


def geojson_point(lon, lat):
    """An outlet as the Leaflet widget puts it in the form field."""
    return f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
