from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ctip.api.tokens import create_token


class ApiClient:
    """A client that speaks JSON with a bearer token."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(headers or {})}

    def get(self, path: str, data: Any = None, **headers: str) -> Any:
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path: str, body: Any, **headers: str) -> Any:
        import json

        return self.client.post(path, json.dumps(body, default=str),
                                content_type="application/json", headers=self._headers(headers))

    def put(self, path: str, body: Any, **headers: str) -> Any:
        import json

        return self.client.put(path, json.dumps(body, default=str),
                               content_type="application/json", headers=self._headers(headers))

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self._headers(headers))


@pytest.fixture
def api_for() -> Any:
    def make(user: Any, **kwargs: Any) -> ApiClient:
        return ApiClient(create_token(actor=None, user=user, name="test phone", **kwargs).secret)

    return make
