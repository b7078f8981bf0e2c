"""pytest fixtures: channels to the catalog and search services that the test
harness (scripts/test-clients.sh) started, and the films the tests share."""

import os
import sys
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "gen"))  # ./generate.sh
sys.path.insert(0, str(HERE))

import grpc  # noqa: E402
from reel.catalog.v1 import catalog_pb2, catalog_pb2_grpc  # noqa: E402
from reel.search.v1 import search_pb2, search_pb2_grpc  # noqa: E402

import seedpage  # noqa: E402

TIMEOUT = 10


def _address(variable):
    address = os.environ.get(variable)
    if not address:
        pytest.fail(f"{variable} is not set: run scripts/test-clients.sh, which "
                    "starts catalog-service and search-service")
    return address


@pytest.fixture(scope="session")
def catalog():
    with grpc.insecure_channel(_address("REEL_CATALOG_ADDR")) as channel:
        yield catalog_pb2_grpc.CatalogServiceStub(channel)


@pytest.fixture(scope="session")
def search():
    with grpc.insecure_channel(_address("REEL_SEARCH_ADDR")) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        deadline = time.monotonic() + 30
        while not stub.GetIndexStatus(search_pb2.GetIndexStatusRequest(),
                                      timeout=TIMEOUT).ready:
            assert time.monotonic() < deadline, "the search index never got ready"
            time.sleep(0.1)
        yield stub


@pytest.fixture(scope="session")
def prefix():
    """Film ids of this run start with it, so runs and languages don't mix."""
    return f"py-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def seed_page():
    repo = HERE.parents[1]
    shared = Path(os.environ.get("REEL_SHARED_DIR", repo.parent / "shared"))
    page = shared / "seed" / "the-red-shoes.txt"
    assert page.is_file(), f"the seed page is missing: {page} (set REEL_SHARED_DIR)"
    return page.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def search_films(catalog, prefix, seed_page):
    """The seed film (parsed from its page) and a film with non-ASCII text,
    created through the API. Returns (names, revision of the last write)."""
    seed = seedpage.parse_film_page(seed_page)
    assert seed.title == "The Red Shoes" and len(seed.scenes) == 9
    cafe = catalog_pb2.Film(
        title="Ballerína café 🩰", year=2024,
        synopsis="A ballerína opens a café 🩰 in Reykjavík.",
        scenes=[catalog_pb2.Scene(
            scene_id="s1", title="🩰 Ballerína café",
            description="The ballerína dances 🩰 through the café, slippers squeaking.")])
    names, revision = [], 0
    for film_id, film in ((f"{prefix}-the-red-shoes", seed), (f"{prefix}-ballerina-cafe", cafe)):
        response = catalog.CreateFilm(catalog_pb2.CreateFilmRequest(
            film=film, film_id=film_id, request_id=f"{film_id}-create"), timeout=TIMEOUT)
        names.append(response.film.name)
        revision = response.film.revision
    return names, revision
