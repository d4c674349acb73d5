"""Dependencies every route shares: the database engine, the run-time context, and the caller's brand."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.engine import Engine

from copyloop.api.slots import GenerateSlots
from copyloop.graphs.context import CopyContext
from copyloop.service.keys import Tenant, tenant_for


def engine(request: Request) -> Engine:
    return request.app.state.engine


def context(request: Request) -> CopyContext:
    return request.app.state.context


def generate_slots(request: Request) -> GenerateSlots:
    return request.app.state.generate_slots


def tenant(request: Request, authorization: Annotated[str | None, Header()] = None,
           x_api_key: Annotated[str | None, Header()] = None) -> Tenant:
    """The brand of the API key in `Authorization: Bearer …` or `X-API-Key`; 401 without a valid one."""
    scheme, _, credentials = (authorization or "").partition(" ")
    key = x_api_key or (credentials.strip() if scheme.casefold() == "bearer" else None)
    if not key:
        raise HTTPException(401, "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
    found = tenant_for(request.app.state.engine, key)
    if found is None:
        raise HTTPException(401, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return found


DB = Annotated[Engine, Depends(engine)]
Context = Annotated[CopyContext, Depends(context)]
Caller = Annotated[Tenant, Depends(tenant)]
Slots = Annotated[GenerateSlots, Depends(generate_slots)]
