"""The map's marker layer as one FeatureCollection text, built by the database.

Serialising ten thousand features in Python costs several times the query that fetches them, so
the text is assembled where the rows are: JSON aggregation on PostgreSQL (json_agg) and on
SQLite/SpatiaLite (json_group_array). The filtered queryset (the map's FilterSet, the reader's
visibility) is the subquery that picks the rows, so the filters stay in one place.

A kəhriz whose outlet has not been located yet cannot be drawn, but it is counted: the collection
says how many (``"unmapped"``, a foreign member as RFC 7946 §6.1 allows), so that the map can say
why it shows fewer kəhriz than the dashboard or the district page that links to it. The count
comes from the same pass over the rows (an aggregate FILTER), not from a second query.

The same pass counts the kəhriz that the status filter leaves out (``"hidden_by_status"``): the
rows are those of the filters without the status, and the status decides which are drawn. The map
says "N kəhriz in other statuses are not shown", which the default (restored and handed over)
would otherwise keep silent.

Each feature says whether it is a synthetic demo record (``is_synthetic``) and whether its last
visit's date is approximate (``visited_approximate``: a visit flagged "dates are approximate"
observed the kəhriz on that day; kept on the kəhriz as ``last_visit_approximate`` by
``services.refresh_current_state``, so no feature searches its observations).
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
            'visited', k.last_visit_on, 'lps', k.last_discharge_lps,
            'visited_approximate', k.last_visit_approximate, 'is_synthetic', k.is_synthetic))""",
    "sqlite": """json_object(
        'type', 'Feature', 'id', k.id,
        'geometry', json_object('type', 'Point', 'coordinates', json_array(
            round(ST_X(k.outlet), 5), round(ST_Y(k.outlet), 5))),
        'properties', json_object(
            'name', k.name, 'status', k.status, 'functionality', k.functionality,
            'village', coalesce(v.name, ''), 'district', d.slug,
            'visited', k.last_visit_on, 'lps', CAST(k.last_discharge_lps AS REAL),
            'visited_approximate', json(CASE WHEN k.last_visit_approximate THEN 'true' ELSE 'false' END),
            'is_synthetic', json(CASE WHEN k.is_synthetic THEN 'true' ELSE 'false' END)))""",
}

FROM = """FROM projects_kehriz k
    JOIN projects_district d ON d.id = k.district_id
    LEFT JOIN projects_village v ON v.id = k.village_id
    WHERE k.id IN ({ids})"""

COLLECTION = {
    "postgresql": """SELECT json_build_object('type', 'FeatureCollection',
        'features', coalesce(
            json_agg({feature} ORDER BY k.id) FILTER (WHERE k.outlet IS NOT NULL AND {shown}), '[]'::json),
        'unmapped', count(*) FILTER (WHERE k.outlet IS NULL AND {shown}),
        'hidden_by_status', count(*) FILTER (WHERE NOT ({shown})))::text {from_}""",
    "sqlite": """SELECT json_object('type', 'FeatureCollection',
        'features', json_group_array(json(f)) FILTER (WHERE f IS NOT NULL),
        'unmapped', count(*) FILTER (WHERE shown AND f IS NULL),
        'hidden_by_status', count(*) FILTER (WHERE NOT shown))
        FROM (SELECT CASE WHEN k.outlet IS NOT NULL AND {shown} THEN {feature} END AS f, {shown} AS shown
            {from_} ORDER BY k.id)""",
}


def feature_collection(queryset, statuses=()):
    """The FeatureCollection (text) of the kəhriz in ``queryset`` that have an outlet and one of
    ``statuses`` (any status when empty), in id order: ``{"type": "Feature", "id", "geometry":
    Point, "properties": {name, status, functionality, village, district (slug), visited (last
    visit date), lps (last discharge), visited_approximate, is_synthetic}}``; ``"unmapped"``: how
    many of those kəhriz have no outlet; ``"hidden_by_status"``: how many kəhriz of ``queryset``
    have another status. One query."""
    vendor = connection.vendor
    ids, params = queryset.order_by().values("pk").query.sql_with_params()
    statuses = list(statuses)
    shown = f"(k.status IN ({', '.join(['%s'] * len(statuses))}))" if statuses else "(1 = 1)"
    feature = PROPERTIES[vendor]
    sql = COLLECTION[vendor].format(feature=feature, shown=shown, from_=FROM.format(ids=ids))
    # The placeholders in the order they come in the text: the status test at each place it is
    # written (before the FROM), then the subquery's.
    uses = sql.split("FROM projects_kehriz k", 1)[0].count(shown) if statuses else 0
    with connection.cursor() as cursor:
        cursor.execute(sql, statuses * uses + list(params))
        return cursor.fetchone()[0]
