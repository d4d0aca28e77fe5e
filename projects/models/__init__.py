from .base import Currency, TimeStampedModel
from .kehriz import Functionality, Kehriz, RestorationWork, Status, StatusEvent
from .monitoring import DischargeMethod, FollowUp, MonitoringVisit, Observation, PersonMet, Photo
from .places import District, Village
from .programme import Project, ReportedFigure
from .trash import TrashEntry, TrashFile

__all__ = [
    "Currency",
    "DischargeMethod",
    "District",
    "FollowUp",
    "Functionality",
    "Kehriz",
    "MonitoringVisit",
    "Observation",
    "PersonMet",
    "Photo",
    "Project",
    "ReportedFigure",
    "RestorationWork",
    "Status",
    "StatusEvent",
    "TimeStampedModel",
    "TrashEntry",
    "TrashFile",
    "Village",
]
