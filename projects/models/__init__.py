from .base import Currency, TimeStampedModel
from .kehriz import Functionality, Kehriz, RestorationWork, Status, StatusEvent
from .monitoring import DischargeMethod, FollowUp, MonitoringVisit, Observation, PersonMet, Photo
from .places import District, Village
from .programme import Indicator, Project, ReportedFigure
from .results import Reports, ResultIndicator, ResultPeriod, Unit
from .trash import TrashEntry, TrashFile
from .uploads import PhotoUpload, PhotoUploadChunk

__all__ = [
    "Currency",
    "DischargeMethod",
    "District",
    "FollowUp",
    "Functionality",
    "Indicator",
    "Kehriz",
    "MonitoringVisit",
    "Observation",
    "PersonMet",
    "Photo",
    "PhotoUpload",
    "PhotoUploadChunk",
    "Project",
    "ReportedFigure",
    "Reports",
    "ResultIndicator",
    "ResultPeriod",
    "RestorationWork",
    "Status",
    "StatusEvent",
    "TimeStampedModel",
    "TrashEntry",
    "TrashFile",
    "Unit",
    "Village",
]
