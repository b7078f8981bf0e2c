#!/usr/bin/env python3
"""Calls Reel from Python with the `reel` package: imports a film page,
streams a search, follows WatchFilms for a few events and shows how errors
read.

    pip install --no-index --no-build-isolation clients/python   # see README.md
    python example.py --page ../../../shared/seed/the-red-shoes.txt

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
from typing import List, Optional

import grpc

import reel
from reel.filmpage import parse_film_page


def slug(title: str) -> str:
    """A film id from a title: "The Red Shoes" -> "the-red-shoes"."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "film"


def import_page(catalog: reel.CatalogClient, path: str) -> reel.Film:
    """Creates the page's film, or reads it when it already exists."""
    film = parse_film_page(Path(path).read_text(encoding="utf-8"))
    film_id = slug(film.title)
    try:
        # One request_id per logical create: a retry with the same id (after
        # a lost response) returns the first response instead of writing twice.
        created = catalog.create_film(film, film_id, request_id=str(uuid.uuid4()))
        print(f"created {created.name} at revision {created.revision}")
        return created
    except reel.ReelError as error:
        # Errors carry a status code and a message naming the field at fault.
        if error.code != grpc.StatusCode.ALREADY_EXISTS:
            raise
        print(f"{error} -> reading it instead")
        return catalog.get_film(reel.film_name(film_id))


def search(search_client: reel.SearchClient, query: str, min_revision: int) -> None:
    stream = search_client.search(query, max_results=5, min_revision=min_revision)
    for hit in stream:  # printed as they arrive, best first
        print(f"#{hit.rank} {hit.film_title}: {hit.scene_title} ({hit.score:.3f})")
        for highlight in hit.highlights[:2]:
            field = reel.HighlightField.Name(highlight.field)
            print(f"    {field}: {reel.mark(highlight)[:160]}")
    s = stream.summary
    if s is not None:
        print(f"{s.returned_count} of {s.total_matches} matches "
              f"(index at revision {s.index_revision})")


def watch(catalog: reel.CatalogClient, start_revision: int, until_revision: int,
          limit: int = 5) -> None:
    """Prints the changes after start_revision (at most `limit`) until the
    stream reaches until_revision."""
    with catalog.watch(start_revision, timeout=reel.DEFAULT_TIMEOUT) as stream:
        for shown, event in enumerate(stream.events(until=until_revision), 1):
            kind = reel.FilmEvent.EventType.Name(event.type)
            print(f"  revision {event.revision}: {kind} {event.name}")
            if shown == limit:
                break
        # stream.revision is where to resume from next time.


def main(argv: Optional[List[str]] = None) -> int:
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("REEL_SHARED_DIR", repo.parent / "shared"))
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalog", default=os.environ.get("REEL_CATALOG_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--search", default=os.environ.get("REEL_SEARCH_ADDR", "127.0.0.1:50052"))
    parser.add_argument("--page", default=str(shared / "seed" / "the-red-shoes.txt"))
    parser.add_argument("--query", default="red shoes dance")
    parser.add_argument("--tls_dir", help="ca.crt (+ tls.crt, tls.key): connect over TLS")
    args = parser.parse_args(argv)

    with reel.CatalogClient(args.catalog, tls=args.tls_dir) as catalog, \
            reel.SearchClient(args.search, tls=args.tls_dir) as search_client:
        film = import_page(catalog, args.page)
        print(f'\n$ search "{args.query}"')
        search(search_client, args.query, film.revision)

        revision = catalog.list_films(page_size=1).revision
        print(f"\nthe latest changes (the catalog is at revision {revision}):")
        watch(catalog, max(0, revision - 3), revision)

        print("\nan error, as reel.ReelError:")
        try:
            search(search_client, '"unbalanced', 0)
        except reel.ReelError as error:
            print(f"  {error.code.name}: {error.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
