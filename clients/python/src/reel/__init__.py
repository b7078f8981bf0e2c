"""Reel's Python client: typed clients for reel.catalog.v1.CatalogService and
reel.search.v1.SearchService over gRPC.

    import reel

    with reel.CatalogClient("127.0.0.1:50051") as catalog, \\
            reel.SearchClient("127.0.0.1:50052") as search:
        film = catalog.create_film(reel.Film(title="The Red Shoes", year=1948), "the-red-shoes")
        for hit in search.search("red shoes", min_revision=film.revision):
            print(hit.rank, hit.film_title, hit.scene_title)

Failed calls raise reel.ReelError (`.code`: grpc.StatusCode, `.message`).
TLS: tls=reel.Tls(...) or tls="DIR" (ca.crt, tls.crt, tls.key). The
generated messages and stubs are reel.catalog.v1.catalog_pb2(_grpc) and
reel.search.v1.search_pb2(_grpc), made from proto/ when the package was
built.
"""

from reel._version import __version__
from reel._errors import ReelError
from reel._channel import DEFAULT_TIMEOUT, Tls, open_channel
from reel._catalog import CatalogClient, WatchStream, film_name
from reel._search import SearchClient, SearchResult, SearchStream, mark, sort_order
from reel.catalog.v1.catalog_pb2 import (Film, FilmEvent, ImportFilmsResponse,
                                         ListFilmsResponse, Quote, Scene, SoundtrackEntry)
from reel.search.v1.search_pb2 import (FacetRequest, FieldWeights, GetIndexStatusResponse,
                                       Highlight, HighlightField, SceneFilter, SceneHit,
                                       SearchScenesRequest, SearchSummary, SortOrder)

__all__ = [
    "__version__",
    "CatalogClient", "SearchClient", "ReelError", "Tls", "open_channel", "DEFAULT_TIMEOUT",
    "WatchStream", "SearchStream", "SearchResult", "film_name", "mark", "sort_order",
    "Film", "FilmEvent", "ImportFilmsResponse", "ListFilmsResponse", "Quote", "Scene",
    "SoundtrackEntry",
    "FacetRequest", "FieldWeights", "GetIndexStatusResponse", "Highlight", "HighlightField",
    "SceneFilter", "SceneHit", "SearchScenesRequest", "SearchSummary", "SortOrder",
]
