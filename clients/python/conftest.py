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


# The TLS pair: mutual TLS and per-method authorization (docs/security.md).
# REEL_PKI_DIR/ROLE holds ca.crt, tls.crt and tls.key of a client certificate
# whose identity is spiffe://reel/ns/test/sa/ROLE.
WRITER, READER, SEARCHER, NOBODY = "reel-writer", "reel-search", "reel-web", "nobody"


def identity(role):
    return f"spiffe://reel/ns/test/sa/{role}"


@pytest.fixture(scope="session")
def tls_channel(tmp_path_factory):
    """tls_channel(role, "catalog" | "search") -> a channel to the TLS pair
    presenting role's certificate (role None: the CA only, no certificate)."""
    import example

    addresses = {"catalog": _address("REEL_TLS_CATALOG_ADDR"),
                 "search": _address("REEL_TLS_SEARCH_ADDR")}
    pki = Path(_address("REEL_PKI_DIR"))
    ca_only = tmp_path_factory.mktemp("ca-only")
    (ca_only / "ca.crt").write_bytes((pki / WRITER / "ca.crt").read_bytes())
    channels = {}

    def open_channel(role, service):
        if (role, service) not in channels:
            tls_dir = pki / role if role else ca_only
            channels[role, service] = example.open_channel(addresses[service], tls_dir)
        return channels[role, service]

    yield open_channel
    for channel in channels.values():
        channel.close()


@pytest.fixture(scope="session")
def tls_film(tls_channel, prefix):
    """A film the writer created on the TLS catalog, with a word of its own."""
    catalog = catalog_pb2_grpc.CatalogServiceStub(tls_channel(WRITER, "catalog"))
    film_id = f"{prefix}-tls-quokka"
    return catalog.CreateFilm(catalog_pb2.CreateFilmRequest(
        film_id=film_id, request_id=f"{film_id}-create",
        film=catalog_pb2.Film(title="The Quokka Certificate", year=2024, scenes=[
            catalog_pb2.Scene(scene_id="s1", title="Quokka at the gate",
                              description="A quokka shows its certificate to the guard.")])),
        timeout=TIMEOUT).film
