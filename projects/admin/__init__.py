"""The data-entry tool for field staff and data managers, one module per part of the domain;
importing them registers their ModelAdmins with the site."""

from projects.admin import (  # noqa: F401 (registers)
    common,
    imports,
    kehriz,
    monitoring,
    places,
    programme,
    site,
    tokens,
    trash,
)
