"""Who may take a credential's files: its holder, and platform staff. The verification
page is public (the point of a credential is that anyone may check it)."""

from __future__ import annotations

from .models import Credential


def may_download(user, credential: Credential) -> bool:
    return bool(user.is_authenticated and (user.pk == credential.student_id or user.is_staff))
