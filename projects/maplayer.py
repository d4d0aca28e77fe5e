"""The map's marker layer as one FeatureCollection text, built by the database.

Serialising ten thousand features in Python costs several times the query that fetches them, so
the text is assembled where the rows are: JSON aggregation on PostgreSQL (json_agg) and on
SQLite/SpatiaLite (json_group_array). The filtered queryset (the map's FilterSet, the reader's
visibility) is the subquery that picks the rows, so the filters stay in one place.

A kəhriz whose outlet has not been located yet cannot be drawn, but it is counted: the collection
says how many (``"unmapped"``, a foreign member as RFC 7946 §6.1 allows), so that the map can say
why it shows fewer kəhriz than the dashboard or the district page that links to it. The count
comes from the same pass over the rows (an aggregate FILTER), not from a second query.
"""

from django.db import connection

PROPERTIES = {
    "postgresql": """json_build_object(
        'type', 'Feature', 'id', k.id,
        'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(
            round(ST_X(k.outlet)::numeric, 5), round(ST_Y(k.outlet)::numeric, 5))),
        'properties', json_build_object(
            'name', k.name, 'status', k.status, 'functionality', k.functionality,
            'village', coalesce(v.name, ''), 'district', d.slug,
            'visited', k.last_visit_on, 'lps', k.last_discharge_lps))""",
    "sqlite": """json_object(
        'type', 'Feature', 'id', k.id,
        'geometry', json_object('type', 'Point', 'coordinates', json_array(
            round(ST_X(k.outlet), 5), round(ST_Y(k.outlet), 5))),
        'properties', json_object(
            'name', k.name, 'status', k.status, 'functionality', k.functionality,
            'village', coalesce(v.name, ''), 'district', d.slug,
            'visited', k.last_visit_on, 'lps', CAST(k.last_discharge_lps AS REAL)))""",
}

FROM = """FROM projects_kehriz k
    JOIN projects_district d ON d.id = k.district_id
    LEFT JOIN projects_village v ON v.id = k.village_id
    WHERE k.id IN ({ids})"""

COLLECTION = {
    "postgresql": """SELECT json_build_object('type', 'FeatureCollection',
        'features', coalesce(
            json_agg({feature} ORDER BY k.id) FILTER (WHERE k.outlet IS NOT NULL), '[]'::json),
        'unmapped', count(*) FILTER (WHERE k.outlet IS NULL))::text {from_}""",
    "sqlite": """SELECT json_object('type', 'FeatureCollection',
        'features', json_group_array(json(f)) FILTER (WHERE f IS NOT NULL), 'unmapped', count(*) - count(f))
        FROM (SELECT CASE WHEN k.outlet IS NOT NULL THEN {feature} END AS f {from_} ORDER BY k.id)""",
}


def feature_collection(queryset):
    """The FeatureCollection (text) of the kəhriz in ``queryset`` that have an outlet, in id order:
    ``{"type": "Feature", "id", "geometry": Point, "properties": {name, status, functionality,
    village, district (slug), visited (last visit date), lps (last discharge)}}``, and
    ``"unmapped"``: how many kəhriz of ``queryset`` have no outlet."""
    vendor = connection.vendor
    ids, params = queryset.order_by().values("pk").query.sql_with_params()
    sql = COLLECTION[vendor].format(feature=PROPERTIES[vendor], from_=FROM.format(ids=ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
