"""HTML pages (pages, district, kehriz, dashboard) and the JSON layers the maps load (api)."""
