"""SQLAlchemy 2.0 tables. Import from here: every table is registered on :data:`Base.metadata`."""

from db.models.admin import (
    ApiKeyRow,
    AuditLogRow,
    CameraCredentialChangeRow,
    CameraHealthSampleRow,
    CameraRow,
    ExportLeaseRow,
    WebhookDeliveryRow,
    WebhookSubscriptionRow,
)
from db.models.base import Base, UtcDateTime, utcnow
from db.models.declarations import (
    CrosscheckResultRow,
    DeclarationContainerRow,
    DeclarationPlateRow,
    DeclarationRow,
)
from db.models.events import (
    ContainerReadRow,
    EventReviewRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
    PlateKeyRow,
    PlateReadRow,
    ReviewContainerRow,
)

__all__ = [
    "ApiKeyRow",
    "AuditLogRow",
    "Base",
    "CameraCredentialChangeRow",
    "CameraHealthSampleRow",
    "CameraRow",
    "ContainerReadRow",
    "CrosscheckResultRow",
    "DeclarationContainerRow",
    "DeclarationPlateRow",
    "DeclarationRow",
    "EventReviewRow",
    "EvidenceRow",
    "ExportLeaseRow",
    "GateEventRow",
    "ObservationRow",
    "PlateKeyRow",
    "PlateReadRow",
    "ReviewContainerRow",
    "UtcDateTime",
    "WebhookDeliveryRow",
    "WebhookSubscriptionRow",
    "utcnow",
]
