#!/usr/bin/python3
"""Calls Reel from Python: imports a film page, streams a search, follows
WatchFilms for a few events and shows how errors read.

    ./generate.sh                      # once: stubs into gen/
    /usr/bin/python3 example.py --page ../../../shared/seed/the-red-shoes.txt

Addresses come from --catalog / --search, else REEL_CATALOG_ADDR /
REEL_SEARCH_ADDR, else 127.0.0.1:50051 / 127.0.0.1:50052 (scripts/run-local.sh).
With --tls_dir DIR the calls go over TLS: DIR/ca.crt verifies the services and
DIR/tls.crt + DIR/tls.key, when present, are the client certificate (the
identity the services' authorization policy decides on; docs/security.md).
"""

import argparse
import os
import re
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))  # ./generate.sh

import grpc  # noqa: E402  (Debian: python3-grpcio)
from reel.catalog.v1 import catalog_pb2, catalog_pb2_grpc  # noqa: E402
from reel.search.v1 import search_pb2, search_pb2_grpc  # noqa: E402

import seedpage  # noqa: E402

TIMEOUT = 10  # seconds, for every call: always set a deadline


def open_channel(address: str, tls_dir=None) -> grpc.Channel:
    """A channel to `address`: plaintext, or TLS with the files of `tls_dir`
    (the layout the services' --tls_dir reads): ca.crt verifies the server
    (absent: the system's roots), tls.crt + tls.key are the client
    certificate (absent: none)."""
    if not tls_dir:
        return grpc.insecure_channel(address)

    def read(name):
        path = Path(tls_dir) / name
        return path.read_bytes() if path.is_file() else None

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read("ca.crt"), private_key=read("tls.key"),
        certificate_chain=read("tls.crt"))
    return grpc.secure_channel(address, credentials)


def slug(title: str) -> str:
    """A film id from a title: "The Red Shoes" -> "the-red-shoes"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "film"


def import_page(catalog, path: str) -> catalog_pb2.Film:
    """Creates the page's film, or reads it when it already exists."""
    film = seedpage.parse_film_page(Path(path).read_text(encoding="utf-8"))
    film_id = slug(film.title)
    # One request_id per logical create: a retry with the same id (after a
    # lost response) returns the first response instead of writing twice.
    request = catalog_pb2.CreateFilmRequest(
        film=film, film_id=film_id, request_id=str(uuid.uuid4()))
    try:
        created = catalog.CreateFilm(request, timeout=TIMEOUT).film
        print(f"created {created.name} at revision {created.revision}")
        return created
    except grpc.RpcError as error:
        # Errors carry a status code and a message naming the field at fault.
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise
        print(f"{error.code().name}: {error.details()} -> reading it instead")
        return catalog.GetFilm(
            catalog_pb2.GetFilmRequest(name=f"films/{film_id}"), timeout=TIMEOUT).film


def mark(snippet: str, spans) -> str:
    """Wraps the matched words in [brackets]. Python str indexes code points,
    so the code-point offsets are the ones to use."""
    out, last = [], 0
    for span in spans:
        out += [snippet[last:span.start_code_point], "[",
                snippet[span.start_code_point:span.end_code_point], "]"]
        last = span.end_code_point
    return "".join(out + [snippet[last:]])


def search(search_stub, query: str, min_revision: int) -> None:
    request = search_pb2.SearchScenesRequest(
        query=query, max_results=5, min_revision=min_revision)  # read-your-writes
    for message in search_stub.SearchScenes(request, timeout=TIMEOUT):
        for hit in message.hits:  # printed as they arrive, best first
            print(f"#{hit.rank} {hit.film_title}: {hit.scene_title} ({hit.score:.3f})")
            for highlight in hit.highlights[:2]:
                field = search_pb2.HighlightField.Name(highlight.field)
                print(f"    {field}: {mark(highlight.snippet, highlight.spans)[:160]}")
        if message.HasField("summary"):
            s = message.summary
            print(f"{s.returned_count} of {s.total_matches} matches "
                  f"(index at revision {s.index_revision})")


def watch(catalog, start_revision: int, until_revision: int, limit: int = 5) -> None:
    """Prints the changes after start_revision (at most `limit`) until the
    stream reaches until_revision."""
    stream = catalog.WatchFilms(
        catalog_pb2.WatchFilmsRequest(start_revision=start_revision), timeout=TIMEOUT)
    try:
        shown = 0
        for message in stream:
            for event in message.events[:limit - shown]:
                kind = catalog_pb2.FilmEvent.EventType.Name(event.type)
                print(f"  revision {event.revision}: {kind} {event.name}")
                shown += 1
            # message.revision is where to resume from next time.
            if message.revision >= until_revision or shown == limit:
                break
    finally:
        stream.cancel()  # the stream never ends on its own


def main(argv=None) -> int:
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("REEL_SHARED_DIR", repo.parent / "shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default=os.environ.get("REEL_CATALOG_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--search", default=os.environ.get("REEL_SEARCH_ADDR", "127.0.0.1:50052"))
    parser.add_argument("--page", default=str(shared / "seed" / "the-red-shoes.txt"))
    parser.add_argument("--query", default="red shoes dance")
    parser.add_argument("--tls_dir", help="ca.crt (+ tls.crt, tls.key): connect over TLS")
    args = parser.parse_args(argv)

    with open_channel(args.catalog, args.tls_dir) as catalog_channel, \
            open_channel(args.search, args.tls_dir) as search_channel:
        catalog = catalog_pb2_grpc.CatalogServiceStub(catalog_channel)
        search_stub = search_pb2_grpc.SearchServiceStub(search_channel)

        film = import_page(catalog, args.page)
        print(f'\n$ search "{args.query}"')
        search(search_stub, args.query, film.revision)

        revision = catalog.ListFilms(
            catalog_pb2.ListFilmsRequest(page_size=1), timeout=TIMEOUT).revision
        print(f"\nthe latest changes (the catalog is at revision {revision}):")
        watch(catalog, max(0, revision - 3), revision)

        print("\nan error, read the gRPC way:")
        try:
            search(search_stub, '"unbalanced', 0)
        except grpc.RpcError as error:
            print(f"  {error.code().name}: {error.details()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
