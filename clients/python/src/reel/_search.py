"""SearchClient: reel.search.v1.SearchService."""

from __future__ import annotations

from typing import Iterator, List, NamedTuple, Optional, Union, cast

import grpc

from reel._channel import (DEFAULT, DEFAULT_TIMEOUT, ChannelOptions, Timeout, TlsArg,
                           _Client)
from reel._errors import ReelError, call, messages
from reel.search.v1 import search_pb2, search_pb2_grpc

#: A sort order: a search_pb2.SortOrder value, or its name with or without
#: the prefix ("SORT_ORDER_TITLE", "title", "year_descending").
SortArg = Union[int, str]


def sort_order(sort: SortArg) -> search_pb2.SortOrder:
    """The SortOrder value of `sort` (see SortArg)."""
    if isinstance(sort, str):
        name = sort.upper()
        if not name.startswith("SORT_ORDER_"):
            name = "SORT_ORDER_" + name
        return cast("search_pb2.SortOrder", search_pb2.SortOrder.Value(name))
    return cast("search_pb2.SortOrder", int(sort))


def mark(highlight: search_pb2.Highlight, before: str = "[", after: str = "]") -> str:
    """The snippet with its matched words between `before` and `after`.
    Python str indexes code points, so the code-point offsets are the ones
    to slice it with."""
    snippet, out, last = highlight.snippet, [], 0
    for span in highlight.spans:
        out += [snippet[last:span.start_code_point], before,
                snippet[span.start_code_point:span.end_code_point], after]
        last = span.end_code_point
    return "".join(out + [snippet[last:]])


class SearchResult(NamedTuple):
    """A search read to its end: the hits in rank order and the summary."""

    hits: List[search_pb2.SceneHit]
    summary: search_pb2.SearchSummary


class SearchStream:
    """A SearchScenes stream. Iterating it yields the SceneHits in rank order
    as they arrive; once the last message is read, `summary` holds the
    SearchSummary (total_matches, next_page_token, facets, ...), None until
    then. `message_count` counts the messages read so far.

    cancel() stops the search on the server; reading on then raises
    ReelError(CANCELLED). A failed search raises ReelError while iterating.
    """

    def __init__(self, responses: Iterator[search_pb2.SearchScenesResponse]) -> None:
        self._responses = responses
        self.summary: Optional[search_pb2.SearchSummary] = None
        self.message_count = 0

    def messages(self) -> Iterator[search_pb2.SearchScenesResponse]:
        """The raw SearchScenesResponse messages (instead of iterating the
        hits; both read the same stream)."""
        for message in messages(self._responses):
            self.message_count += 1
            if message.HasField("summary"):
                self.summary = message.summary
            yield message

    def __iter__(self) -> Iterator[search_pb2.SceneHit]:
        for message in self.messages():
            yield from message.hits

    def result(self) -> SearchResult:
        """Reads the rest of the stream: the hits not yet read and the summary."""
        hits = list(self)
        if self.summary is None:
            raise ReelError(grpc.StatusCode.INTERNAL, "the search stream ended without a summary")
        return SearchResult(hits, self.summary)

    def cancel(self) -> None:
        self._responses.cancel()  # type: ignore[attr-defined]

    def __enter__(self) -> "SearchStream":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


class SearchClient(_Client):
    """reel.search.v1.SearchService over one channel.

        search = SearchClient("127.0.0.1:50052")                   # plaintext
        search = SearchClient("search:443", tls="tls/reel-web")     # mutual TLS

    Every call has a deadline: `timeout` seconds (the client's, 10 s unless
    set). A failed call raises ReelError.
    """

    def __init__(self, target: Union[str, grpc.Channel], *, tls: TlsArg = None,
                 timeout: Optional[float] = DEFAULT_TIMEOUT, options: ChannelOptions = ()) -> None:
        super().__init__(target, tls=tls, timeout=timeout, options=options)
        self.stub = search_pb2_grpc.SearchServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def search(self, query: str, *, max_results: int = 0,
               filter: Optional[search_pb2.SceneFilter] = None, min_revision: int = 0,
               sort: SortArg = 0, facets: Optional[search_pb2.FacetRequest] = None,
               page_token: str = "", max_scenes_per_film: int = 0, snippet_length: int = 0,
               explain: bool = False, typos_in_phrases: bool = False,
               field_weights: Optional[search_pb2.FieldWeights] = None,
               timeout: Timeout = DEFAULT) -> SearchStream:
        """Searches the scenes (the fields are SearchScenesRequest's; see
        proto/reel/search/v1/search.proto). `min_revision`: answer once the
        index has applied that catalog revision (read-your-writes), waiting
        within the deadline. `page_token`: the next page of an earlier
        search with the same query, filter and order."""
        request = search_pb2.SearchScenesRequest(
            query=query, max_results=max_results, filter=filter, min_revision=min_revision,
            sort=sort_order(sort), facets=facets, page_token=page_token,
            max_scenes_per_film=max_scenes_per_film, snippet_length=snippet_length,
            explain=explain, typos_in_phrases=typos_in_phrases, field_weights=field_weights)
        return self.search_request(request, timeout=timeout)

    def search_request(self, request: search_pb2.SearchScenesRequest, *,
                       timeout: Timeout = DEFAULT) -> SearchStream:
        """Searches with a SearchScenesRequest as it is."""
        return SearchStream(self.stub.SearchScenes(request, timeout=self._timeout(timeout)))

    def search_pages(self, query: str, *, page_size: int = 0,
                     filter: Optional[search_pb2.SceneFilter] = None, min_revision: int = 0,
                     sort: SortArg = 0, facets: Optional[search_pb2.FacetRequest] = None,
                     max_scenes_per_film: int = 0, snippet_length: int = 0,
                     explain: bool = False, typos_in_phrases: bool = False,
                     field_weights: Optional[search_pb2.FieldWeights] = None,
                     timeout: Timeout = DEFAULT) -> Iterator[SearchResult]:
        """The pages of a search of `page_size` hits (search()'s max_results),
        each read whole, following next_page_token until there is none.
        Facets are asked for with the first page only (they count every
        match, whatever the page). `timeout` is per page."""
        request = search_pb2.SearchScenesRequest(
            query=query, max_results=page_size, filter=filter, min_revision=min_revision,
            sort=sort_order(sort), facets=facets, max_scenes_per_film=max_scenes_per_film,
            snippet_length=snippet_length, explain=explain, typos_in_phrases=typos_in_phrases,
            field_weights=field_weights)
        while True:
            page = self.search_request(request, timeout=timeout).result()
            yield page
            if not page.summary.next_page_token:
                return
            request.page_token = page.summary.next_page_token
            request.ClearField("facets")

    def get_index_status(self, *, timeout: Timeout = DEFAULT) -> search_pb2.GetIndexStatusResponse:
        """How far the index has followed the catalog (applied_revision,
        ready, ...), and its size."""
        status: search_pb2.GetIndexStatusResponse = call(
            self.stub.GetIndexStatus, search_pb2.GetIndexStatusRequest(),
            timeout=self._timeout(timeout))
        return status
