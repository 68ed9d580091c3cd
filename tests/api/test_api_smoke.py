"""The app starts on both databases, serves OpenAPI, and an officer can search."""

from __future__ import annotations

from api_builders import Keys
from fastapi.testclient import TestClient


def test_openapi_lists_every_route_under_api_v1(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["paths"]
    assert all(path.startswith("/api/v1/") for path in spec["paths"])


def test_officer_searches_an_empty_store(client: TestClient, keys: Keys) -> None:
    answer = client.get("/api/v1/vehicles/51C-123.45/entries", headers=keys.headers("officer"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": [], "next_cursor": None}
