"""GET /v1/me: whom the API key acts for, so a client (the web page's login) can check a key before using it."""

from __future__ import annotations

from fastapi import APIRouter

from copyloop.api.deps import Caller
from copyloop.api.schemas import READ_ERRORS, Me

router = APIRouter(prefix="/v1/me", tags=["keys"])


@router.get("", responses=READ_ERRORS)
def me(caller: Caller) -> Me:
    """The key's brand and public id (never a secret)."""
    return Me(brand=caller.brand, key_id=caller.key_id)
