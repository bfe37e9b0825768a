"""Who am I: the signed-in user and the patient or therapist record linked to them."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kneadwell.accounts.models import Role, User

from .auth import api_user
from .schemas import ErrorOut

router = Router(tags=["me"])


class MeOut(Schema):
    id: UUID = Field(alias="public_id")
    username: str
    display_name: str
    role: Role
    patient_id: UUID | None = Field(description="The patient record of a patient user.")
    therapist_id: UUID | None = Field(description="The therapist record of a therapist user.")

    @staticmethod
    def resolve_patient_id(user: User) -> UUID | None:
        patient = getattr(user, "patient", None)
        return patient.public_id if patient is not None else None

    @staticmethod
    def resolve_therapist_id(user: User) -> UUID | None:
        therapist = getattr(user, "therapist", None)
        return therapist.public_id if therapist is not None else None


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The authenticated user")
def me(request: HttpRequest) -> User:
    return api_user(request)
