"""The reports app's tables, one module per concern:

- rollups: mastery per student and the pre-aggregated figures every report reads
  (derived from the evidence, rebuildable from scratch);
- access: the audit log of every read, and report files built in the background;
- delivery: ministry endpoints, monthly schedules, deliveries and their attempts.
"""

from .access import ReportAccessLog, ReportBuild, ReportFormat
from .delivery import DeliveryAttempt, MinistryEndpoint, ReportDelivery, ReportSchedule
from .rollups import (
    MASTERY_THRESHOLD,
    CohortEnrolment,
    CohortMonthlyActivity,
    CohortMonthlyCompletion,
    CountryCompetenceChange,
    InstitutionLevelChange,
    MasteryCube,
    MasteryRollup,
    RecordKey,
    RegionEnrolment,
    RegionLevelChange,
    RegionMonthlyActivity,
    RegionMonthlyCompletion,
)

__all__ = [
    "MASTERY_THRESHOLD",
    "CohortEnrolment",
    "CohortMonthlyActivity",
    "CohortMonthlyCompletion",
    "CountryCompetenceChange",
    "DeliveryAttempt",
    "InstitutionLevelChange",
    "MasteryCube",
    "MasteryRollup",
    "MinistryEndpoint",
    "RecordKey",
    "RegionEnrolment",
    "RegionLevelChange",
    "RegionMonthlyActivity",
    "RegionMonthlyCompletion",
    "ReportAccessLog",
    "ReportBuild",
    "ReportDelivery",
    "ReportFormat",
    "ReportSchedule",
]
