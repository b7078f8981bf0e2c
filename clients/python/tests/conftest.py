"""pytest fixtures: clients of the catalog and search services that the test
harness (scripts/test-clients.sh) started, and the films the tests share.

The tests exercise the `reel` package as installed (scripts/test-clients.sh
installs it into a virtual environment first), never this source folder.
"""

import importlib.util
import os
import time
import uuid
from pathlib import Path

import pytest

import reel
from reel.filmpage import parse_film_page

TIMEOUT = 10
HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent  # clients/python
REPO = SOURCE.parents[1]


def _address(variable):
    address = os.environ.get(variable)
    if not address:
        pytest.fail(f"{variable} is not set: run scripts/test-clients.sh, which "
                    "starts catalog-service and search-service")
    return address


@pytest.fixture(scope="session")
def catalog():
    with reel.CatalogClient(_address("REEL_CATALOG_ADDR"), timeout=TIMEOUT) as client:
        yield client


@pytest.fixture(scope="session")
def search():
    with reel.SearchClient(_address("REEL_SEARCH_ADDR"), timeout=TIMEOUT) as client:
        deadline = time.monotonic() + 30
        while not client.get_index_status().ready:
            assert time.monotonic() < deadline, "the search index never got ready"
            time.sleep(0.1)
        yield client


@pytest.fixture(scope="session")
def prefix():
    """Film ids of this run start with it, so runs and languages don't mix."""
    return f"py-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def seed_page():
    shared = Path(os.environ.get("REEL_SHARED_DIR", REPO.parent / "shared"))
    page = shared / "seed" / "the-red-shoes.txt"
    assert page.is_file(), f"the seed page is missing: {page} (set REEL_SHARED_DIR)"
    return page.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example():
    """clients/python/example.py, loaded from its file (it is not part of the
    package, and the source folder stays off sys.path)."""
    spec = importlib.util.spec_from_file_location("reel_example", SOURCE / "example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def search_films(catalog, prefix, seed_page):
    """The seed film (parsed from its page) and a film with non-ASCII text,
    created through the API. Returns (names, revision of the last write)."""
    seed = parse_film_page(seed_page)
    assert seed.title == "The Red Shoes" and len(seed.scenes) == 9
    cafe = reel.Film(
        title="Ballerína café 🩰", year=2024,
        synopsis="A ballerína opens a café 🩰 in Reykjavík.",
        scenes=[reel.Scene(
            scene_id="s1", title="🩰 Ballerína café",
            description="The ballerína dances 🩰 through the café, slippers squeaking.")])
    names, revision = [], 0
    for film_id, film in ((f"{prefix}-the-red-shoes", seed), (f"{prefix}-ballerina-cafe", cafe)):
        created = catalog.create_film(film, film_id, request_id=f"{film_id}-create")
        names.append(created.name)
        revision = created.revision
    return names, revision


# The TLS pair: mutual TLS and per-method authorization (docs/security.md).
# REEL_PKI_DIR/ROLE holds ca.crt, tls.crt and tls.key of a client certificate
# whose identity is spiffe://reel/ns/test/sa/ROLE.
WRITER, READER, SEARCHER, NOBODY = "reel-writer", "reel-search", "reel-web", "nobody"


def identity(role):
    return f"spiffe://reel/ns/test/sa/{role}"


@pytest.fixture(scope="session")
def tls_client():
    """tls_client(role, "catalog" | "search") -> a client of the TLS pair
    presenting role's certificate (role None: the CA only, no certificate)."""
    addresses = {"catalog": _address("REEL_TLS_CATALOG_ADDR"),
                 "search": _address("REEL_TLS_SEARCH_ADDR")}
    pki = Path(_address("REEL_PKI_DIR"))
    kinds = {"catalog": reel.CatalogClient, "search": reel.SearchClient}
    clients = {}

    def open_client(role, service):
        if (role, service) not in clients:
            if role:
                tls = pki / role  # a folder: ca.crt, tls.crt, tls.key
            else:
                tls = reel.Tls(root_certificates=(pki / WRITER / "ca.crt").read_bytes())
            clients[role, service] = kinds[service](addresses[service], tls=tls, timeout=TIMEOUT)
        return clients[role, service]

    yield open_client
    for client in clients.values():
        client.close()


@pytest.fixture(scope="session")
def tls_film(tls_client, prefix):
    """A film the writer created on the TLS catalog, with a word of its own."""
    film_id = f"{prefix}-tls-quokka"
    return tls_client(WRITER, "catalog").create_film(
        reel.Film(title="The Quokka Certificate", year=2024, scenes=[
            reel.Scene(scene_id="s1", title="Quokka at the gate",
                       description="A quokka shows its certificate to the guard.")]),
        film_id, request_id=f"{film_id}-create")
