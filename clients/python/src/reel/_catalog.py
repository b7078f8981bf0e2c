"""CatalogClient: reel.catalog.v1.CatalogService."""

from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Sequence, Union

import grpc
from google.protobuf.field_mask_pb2 import FieldMask  # type: ignore[import]

from reel._channel import (DEFAULT, DEFAULT_TIMEOUT, ChannelOptions, Timeout, TlsArg,
                           _Client)
from reel._errors import call, messages
from reel.catalog.v1 import catalog_pb2, catalog_pb2_grpc

def film_name(film_id: str) -> str:
    """The resource name of a film id: "the-red-shoes" -> "films/the-red-shoes"."""
    return f"films/{film_id}"


class WatchStream:
    """A WatchFilms stream. Iterating it yields FilmEvents in revision order
    (first the snapshot's, when it started at revision 0); it never ends on
    its own: cancel() it, or use it as a context manager.

    `revision` is where to resume without a gap: it moves to a message's
    revision once every event of that message has been yielded (and with
    the progress messages that carry no events). `history_id` and
    `snapshot_complete` are those of the last message received.
    """

    def __init__(self, responses: Iterator[catalog_pb2.WatchFilmsResponse],
                 start_revision: int) -> None:
        self._responses = responses
        self.revision: int = start_revision
        self.history_id: str = ""
        self.snapshot_complete: bool = False

    def _note(self, message: catalog_pb2.WatchFilmsResponse) -> None:
        self.revision = message.revision
        self.history_id = message.history_id
        self.snapshot_complete = self.snapshot_complete or message.snapshot_complete

    def messages(self) -> Iterator[catalog_pb2.WatchFilmsResponse]:
        """The raw WatchFilmsResponse messages, progress messages included
        (instead of iterating the events; both read the same stream)."""
        for message in messages(self._responses):
            self._note(message)
            yield message

    def __iter__(self) -> Iterator[catalog_pb2.FilmEvent]:
        return self.events()

    def events(self, until: Optional[int] = None) -> Iterator[catalog_pb2.FilmEvent]:
        """The events; with `until`, only up to the message that brings
        `revision` to `until` or past it (then the iteration ends, the stream
        stays open: resume reading with events() or cancel() it)."""
        if until is not None and self.revision >= until:
            return
        for message in messages(self._responses):
            events = list(message.events)
            if not events:
                self._note(message)
            for i, event in enumerate(events):
                if i == len(events) - 1:
                    self._note(message)  # the whole message is consumed with it
                yield event
            if until is not None and self.revision >= until:
                return

    def cancel(self) -> None:
        """Ends the stream: the next read raises ReelError(CANCELLED)."""
        self._responses.cancel()  # type: ignore[attr-defined]

    def __enter__(self) -> "WatchStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


class CatalogClient(_Client):
    """reel.catalog.v1.CatalogService over one channel.

        catalog = CatalogClient("127.0.0.1:50051")                       # plaintext
        catalog = CatalogClient("catalog:443", tls="tls/reel-writer")     # mutual TLS

    Every call has a deadline: `timeout` seconds (the client's, 10 s unless
    set; watch() has none unless given). A failed call raises ReelError.
    """

    def __init__(self, target: Union[str, grpc.Channel], *, tls: TlsArg = None,
                 timeout: Optional[float] = DEFAULT_TIMEOUT, options: ChannelOptions = ()) -> None:
        super().__init__(target, tls=tls, timeout=timeout, options=options)
        self.stub = catalog_pb2_grpc.CatalogServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def create_film(self, film: catalog_pb2.Film, film_id: str, *, request_id: str = "",
                    timeout: Timeout = DEFAULT) -> catalog_pb2.Film:
        """Creates `film` as films/{film_id}; returns it as stored (name,
        revision, etag). A retry with the same `request_id` returns the first
        response and writes nothing."""
        request = catalog_pb2.CreateFilmRequest(film=film, film_id=film_id, request_id=request_id)
        response: catalog_pb2.CreateFilmResponse = call(
            self.stub.CreateFilm, request, timeout=self._timeout(timeout))
        return response.film

    def get_film(self, name: str, *, timeout: Timeout = DEFAULT) -> catalog_pb2.Film:
        """The film named `name` ("films/{film_id}")."""
        request = catalog_pb2.GetFilmRequest(name=name)
        response: catalog_pb2.GetFilmResponse = call(
            self.stub.GetFilm, request, timeout=self._timeout(timeout))
        return response.film

    def list_films(self, page_size: int = 0, page_token: str = "", *,
                   timeout: Timeout = DEFAULT) -> catalog_pb2.ListFilmsResponse:
        """One page of films in film id order (films, next_page_token,
        revision): pass next_page_token back until it is empty."""
        request = catalog_pb2.ListFilmsRequest(page_size=page_size, page_token=page_token)
        response: catalog_pb2.ListFilmsResponse = call(
            self.stub.ListFilms, request, timeout=self._timeout(timeout))
        return response

    def iter_films(self, page_size: int = 0, *,
                   timeout: Timeout = DEFAULT) -> Iterator[catalog_pb2.Film]:
        """Every film, page after page (`timeout` is per page)."""
        token = ""
        while True:
            page = self.list_films(page_size, token, timeout=timeout)
            yield from page.films
            token = page.next_page_token
            if not token:
                return

    def update_film(self, film: catalog_pb2.Film, update_mask: Union[str, Sequence[str], FieldMask],
                    *, timeout: Timeout = DEFAULT) -> catalog_pb2.Film:
        """Replaces the fields `update_mask` names (e.g. ["title"]; "*": every
        mutable one) with those of `film`, which names the film; with
        film.etag set, only if it is still the film's etag (else ABORTED)."""
        if isinstance(update_mask, str):
            update_mask = [update_mask]
        if not isinstance(update_mask, FieldMask):
            update_mask = FieldMask(paths=list(update_mask))
        request = catalog_pb2.UpdateFilmRequest(film=film, update_mask=update_mask)
        response: catalog_pb2.UpdateFilmResponse = call(
            self.stub.UpdateFilm, request, timeout=self._timeout(timeout))
        return response.film

    def delete_film(self, name: str, *, etag: str = "", timeout: Timeout = DEFAULT) -> int:
        """Deletes the film (only if `etag`, when given, is current); returns
        the revision of the deletion."""
        request = catalog_pb2.DeleteFilmRequest(name=name, etag=etag)
        response: catalog_pb2.DeleteFilmResponse = call(
            self.stub.DeleteFilm, request, timeout=self._timeout(timeout))
        return response.revision

    def import_films(self, films: Iterable[catalog_pb2.Film], *, replace_existing: bool = False,
                     batch_size: int = 1000,
                     timeout: Timeout = DEFAULT) -> catalog_pb2.ImportFilmsResponse:
        """Streams `films` (each with its name, "films/{film_id}") in messages
        of `batch_size` (at most 10,000). Films the catalog rejects do not
        stop the others: they are counted in failed_count and listed in
        errors; `revision` is the catalog's after the last batch."""
        if not 1 <= batch_size <= 10_000:
            raise ValueError("batch_size must be 1 to 10,000")

        def requests() -> Iterator[catalog_pb2.ImportFilmsRequest]:
            batch: List[catalog_pb2.Film] = []
            for film in films:
                batch.append(film)
                if len(batch) == batch_size:
                    yield catalog_pb2.ImportFilmsRequest(films=batch,
                                                         replace_existing=replace_existing)
                    batch = []
            if batch:
                yield catalog_pb2.ImportFilmsRequest(films=batch, replace_existing=replace_existing)

        response: catalog_pb2.ImportFilmsResponse = call(
            self.stub.ImportFilms, requests(), timeout=self._timeout(timeout))
        return response

    def watch(self, start_revision: int = 0, *, history_id: str = "",
              timeout: Optional[float] = None) -> WatchStream:
        """Follows the changes after `start_revision` (0: a snapshot of every
        film first). With `history_id` set, a catalog restored since fails
        the stream with FAILED_PRECONDITION. No deadline unless `timeout`."""
        request = catalog_pb2.WatchFilmsRequest(start_revision=start_revision,
                                                history_id=history_id)
        return WatchStream(self.stub.WatchFilms(request, timeout=timeout), start_revision)
