"""Reel's client scenario, in Python (the same one clients/go and clients/node
run), through the installed `reel` package: writes with etags, pagination,
imports, streamed search with highlights, search orders, cursor paging and
facets, cancellation, deadlines, watch resumption, argument errors and role
certificates over mutual TLS, against the real services."""

import random
import string
import time
from types import SimpleNamespace

import grpc
import pytest

import reel
from conftest import NOBODY, READER, SEARCHER, TIMEOUT, identity

EventType = reel.FilmEvent.EventType
Code = grpc.StatusCode


def import_films(catalog, films, **options):
    response = catalog.import_films(films, **options)
    assert (response.imported_count, response.failed_count) == (len(films), 0), response
    return response.revision


def search_all(search, **request):
    """Runs a search to its end, message by message: (messages, hits, summary)."""
    stream = search.search(**request)
    messages = list(stream.messages())
    hits = [hit for message in messages for hit in message.hits]
    assert stream.message_count == len(messages)
    assert stream.summary is not None and stream.summary == messages[-1].summary
    return messages, hits, stream.summary


def test_create_get_update_with_etag_conflict(catalog, prefix):
    film_id = f"{prefix}-etag"
    film = reel.Film(title="The Etag Affair", year=1951, synopsis="Kept.")
    created = catalog.create_film(film, film_id, request_id=f"{film_id}-create")
    assert created.name == reel.film_name(film_id) == f"films/{film_id}"
    assert created.revision > 0 and created.etag

    # A retry with the same request_id returns the first response, writing nothing.
    retried = catalog.create_film(film, film_id, request_id=f"{film_id}-create")
    assert (retried.revision, retried.etag) == (created.revision, created.etag)

    # Without one, the same create is a conflict.
    with pytest.raises(reel.ReelError) as exists:
        catalog.create_film(film, film_id)
    assert exists.value.code == Code.ALREADY_EXISTS, exists.value

    got = catalog.get_film(created.name)
    assert (got.title, got.etag) == ("The Etag Affair", created.etag)

    updated = catalog.update_film(
        reel.Film(name=created.name, etag=created.etag, title="The Etag Affair II"), ["title"])
    assert updated.title == "The Etag Affair II"
    assert updated.synopsis == "Kept."  # outside the mask
    assert updated.revision > created.revision and updated.etag != created.etag

    with pytest.raises(reel.ReelError) as stale:
        catalog.update_film(
            reel.Film(name=created.name, etag=created.etag, title="Lost update"), "title")
    assert stale.value.code == Code.ABORTED, stale.value
    assert stale.value.message and str(stale.value) == f"ABORTED: {stale.value.message}"
    assert isinstance(stale.value.__cause__, grpc.RpcError)

    after = catalog.get_film(created.name)
    assert (after.title, after.etag) == ("The Etag Affair II", updated.etag)

    # A stale etag does not delete either; the current one does.
    with pytest.raises(reel.ReelError) as stale:
        catalog.delete_film(created.name, etag=created.etag)
    assert stale.value.code == Code.ABORTED, stale.value
    revision = catalog.delete_film(created.name, etag=updated.etag)
    assert revision > updated.revision
    with pytest.raises(reel.ReelError) as gone:
        catalog.get_film(created.name)
    assert gone.value.code == Code.NOT_FOUND, gone.value


def test_list_pagination_to_the_end(catalog, prefix):
    mine = [f"films/{prefix}-page-{i:02d}" for i in range(1, 8)]
    # In messages of 3 films: 3 + 3 + 1.
    import_films(catalog, [reel.Film(name=name, title=f"Page film {i}")
                           for i, name in enumerate(mine, 1)], batch_size=3)
    names, token, pages = [], "", 0
    while True:
        page = catalog.list_films(page_size=3, page_token=token)
        assert len(page.films) <= 3 and page.revision > 0
        names += [film.name for film in page.films]
        pages += 1
        assert pages < 10_000
        token = page.next_page_token
        if not token:
            break
    assert names == sorted(names) and len(set(names)) == len(names)
    assert [name for name in names if name in mine] == mine
    # iter_films follows the same pages.
    every = [film.name for film in catalog.iter_films(page_size=3)]
    assert [name for name in every if name in mine] == mine
    assert every == sorted(every) and len(set(every)) == len(every)


def test_import_reports_rejected_films_and_replaces(catalog, prefix):
    existing = reel.Film(name=f"films/{prefix}-import-existing", title="Imported")
    first = catalog.import_films([existing])
    assert (first.imported_count, first.failed_count) == (1, 0), first

    # A film without a title and one that exists are reported by their
    # position in the stream; they do not stop the others.
    films = [reel.Film(name=f"films/{prefix}-import-untitled", title=""),
             reel.Film(name=existing.name, title="Imported twice"),
             reel.Film(name=f"films/{prefix}-import-new", title="New")]
    response = catalog.import_films(films)
    assert (response.imported_count, response.failed_count) == (1, 2), response
    assert [(e.index, e.name, e.code) for e in response.errors] == [
        (0, films[0].name, Code.INVALID_ARGUMENT.value[0]),
        (1, existing.name, Code.ALREADY_EXISTS.value[0])], response
    assert response.errors[0].message.startswith("film.title"), response.errors[0]
    assert response.revision > first.revision
    assert catalog.get_film(existing.name).title == "Imported"
    assert catalog.get_film(films[2].name).title == "New"

    replaced = catalog.import_films(films[1:2], replace_existing=True)
    assert (replaced.imported_count, replaced.failed_count) == (1, 0), replaced
    assert replaced.revision > response.revision
    assert catalog.get_film(existing.name).title == "Imported twice"


def test_search_streams_ranked_hits_with_highlights(search, search_films):
    names, revision = search_films
    messages, hits, summary = search_all(
        search, query="ballerina cafe", min_revision=revision,
        filter=reel.SceneFilter(films=names))

    # Every message carries hits; the last also the summary. A result this
    # small comes whole in one message.
    assert all(m.hits for m in messages)
    assert all(not m.HasField("summary") for m in messages[:-1])
    assert messages[-1].HasField("summary") and len(messages) == 1
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    assert summary.returned_count == len(hits) and summary.total_matches >= len(hits)
    assert summary.index_revision >= revision
    assert (hits[0].film, hits[0].scene_id) == (names[1], "s1")

    # Python str indexes code points: slice with the code-point offsets.
    for hit in hits:
        for highlight in hit.highlights:
            text, utf8 = highlight.snippet, highlight.snippet.encode("utf-8")
            assert highlight.spans
            for span in highlight.spans:
                word = text[span.start_code_point:span.end_code_point]
                assert word.lower() in {"ballerína", "café", "ballerina"}, (word, highlight)
                assert utf8[span.start_byte:span.end_byte].decode("utf-8") == word
                assert span.end_utf16 - span.start_utf16 == len(word.encode("utf-16-le")) // 2
    title = next(h for h in hits[0].highlights
                 if h.field == reel.HighlightField.HIGHLIGHT_FIELD_SCENE_TITLE)
    assert title.snippet == "🩰 Ballerína café"
    first = title.spans[0]
    assert title.snippet[first.start_code_point:first.end_code_point] == "Ballerína"
    # The units differ here: the emoji is 4 bytes, 2 UTF-16 units, 1 code point.
    assert (first.start_byte, first.start_utf16, first.start_code_point) == (5, 3, 2)
    assert reel.mark(title) == "🩰 [Ballerína] [café]"

    # A small result comes whole in one message, the summary with its hits.
    # Iterating the stream yields the hits; the summary is there at the end.
    stream = search.search("red shoes", min_revision=revision,
                           filter=reel.SceneFilter(films=[names[0]]))
    assert stream.summary is None
    hits = list(stream)
    summary = stream.summary
    assert len(hits) == 9 and stream.message_count == 1
    assert [hit.rank for hit in hits] == list(range(1, 10))
    assert summary.total_matches == 9 and summary.complete


@pytest.fixture(scope="module")
def many_scenes(catalog, prefix):
    """200 films of 5 scenes sharing a word: a stream far longer than flow
    control lets the server send ahead."""
    filler = " ".join(["a long walk along the harbour past the bakery"] * 8)
    films = [reel.Film(
        name=f"films/{prefix}-many-{f:03d}", title=f"Marzipan {f}",
        scenes=[reel.Scene(scene_id=f"s{s}", title=f"Marzipan scene {s}",
                                  description=f"{filler}, the marzipan {s}. {filler}")
                for s in range(1, 6)])
        for f in range(200)]
    return [film.name for film in films], import_films(catalog, films)


def test_cancellation_mid_stream(search, many_scenes):
    names, revision = many_scenes
    request = dict(max_results=1000, min_revision=revision, filter=reel.SceneFilter(films=names))
    for by_hit in (False, True, False):
        stream = search.search("marzipan", **request)
        if by_hit:  # reading hits: the first message's others, then CANCELLED
            reader = iter(stream)
            assert next(reader).rank == 1
        else:
            reader = stream.messages()
            assert 0 < len(next(reader).hits) <= 5
        stream.cancel()
        with pytest.raises(reel.ReelError) as ended:
            for _ in reader:
                pass
        assert ended.value.code == Code.CANCELLED, ended.value
        assert stream.summary is None, "the stream completed despite the cancellation"
        assert stream.message_count < 10
    # The service is unharmed; the whole result comes in many messages.
    stream = search.search("marzipan", max_results=1000, filter=reel.SceneFilter(films=names))
    hits = list(stream)
    assert len(hits) == stream.summary.total_matches == 1000
    assert [hit.rank for hit in hits] == list(range(1, 1001))
    assert stream.message_count > 1


def test_deadline_exceeded(catalog, search, prefix):
    created = catalog.create_film(reel.Film(title="Deadline"), f"{prefix}-deadline")
    start = time.monotonic()
    with pytest.raises(reel.ReelError) as late:
        # An index revision that will not come: wait until the deadline.
        list(search.search("deadline", min_revision=created.revision + 1_000_000, timeout=0.3))
    assert late.value.code == Code.DEADLINE_EXCEEDED, late.value
    assert time.monotonic() - start < 5


def read_watch(catalog, start, until):
    """Watches from `start` until the stream's revision reaches `until`:
    returns the events and that revision (the resume point)."""
    with catalog.watch(start, timeout=TIMEOUT) as stream:
        assert stream.revision == start
        events = list(stream.events(until=until))
        assert stream.revision >= until, "the watch stream ended"
        assert stream.history_id
        return events, stream.revision


def test_watch_resumes_from_a_revision(catalog, prefix):
    created = catalog.create_film(reel.Film(title="Watched"), f"{prefix}-watched")
    updated = catalog.update_film(reel.Film(name=created.name, title="Watched again"), ["title"])

    events, resume = read_watch(catalog, created.revision, updated.revision)
    assert [e.revision for e in events] == sorted({e.revision for e in events})
    assert all(e.revision > created.revision for e in events)
    mine = [(e.type, e.revision, e.film.title) for e in events if e.name == created.name]
    assert mine == [(EventType.EVENT_TYPE_UPDATED, updated.revision, "Watched again")]

    deleted = catalog.delete_film(created.name, etag=updated.etag)
    events, _ = read_watch(catalog, resume, deleted)
    assert all(e.revision > resume for e in events)  # no duplicate, no gap
    mine = [(e.type, e.revision, e.HasField("film")) for e in events if e.name == created.name]
    assert mine == [(EventType.EVENT_TYPE_DELETED, deleted, False)]


def test_watch_snapshot_then_changes(catalog, prefix):
    """From revision 0: a snapshot of every film (raw messages: revision 0
    until the one that completes it), then the changes after it."""
    created = catalog.create_film(reel.Film(title="Snapshotted"), f"{prefix}-snapshotted")
    with catalog.watch(0, timeout=TIMEOUT) as stream:
        snapshot = []
        for message in stream.messages():
            snapshot += message.events
            if message.snapshot_complete:
                break
            assert message.revision == 0
        assert stream.snapshot_complete and stream.revision >= created.revision
        assert {e.type for e in snapshot} == {EventType.EVENT_TYPE_SNAPSHOT}
        assert created.name in [e.name for e in snapshot]
        later = catalog.update_film(reel.Film(name=created.name, title="Changed"), "title")
        events = list(stream.events(until=later.revision))
        assert [(e.type, e.film.title) for e in events if e.name == created.name] == [
            (EventType.EVENT_TYPE_UPDATED, "Changed")]
    with pytest.raises(reel.ReelError) as cancelled:
        next(iter(stream))
    assert cancelled.value.code == Code.CANCELLED, cancelled.value


def test_invalid_argument(catalog, search):
    with pytest.raises(reel.ReelError) as bad_query:
        list(search.search('"red shoes'))
    assert bad_query.value.code == Code.INVALID_ARGUMENT, bad_query.value
    assert bad_query.value.message.startswith("query:"), bad_query.value
    assert str(bad_query.value).startswith("INVALID_ARGUMENT: query:")

    with pytest.raises(reel.ReelError) as bad_film:
        catalog.create_film(reel.Film(title=""), "untitled")
    assert bad_film.value.code == Code.INVALID_ARGUMENT, bad_film.value
    assert bad_film.value.message.startswith("film.title"), bad_film.value


def test_example_runs(capsys, seed_page, example):
    assert example.main([]) == 0
    out = capsys.readouterr().out
    assert "#1 The Red Shoes" in out and "[" in out
    assert "INVALID_ARGUMENT: query:" in out


# --- Role certificates against the TLS pair (docs/security.md) ---------------

def assert_denied(error, role, method):
    assert error.code == Code.PERMISSION_DENIED, error
    assert error.message.startswith(f"authorization: {identity(role)}"), error
    assert f" may not call {method}" in error.message, error


def test_tls_writer_writes_reader_reads_but_may_not_write(tls_client, tls_film, prefix):
    assert tls_film.name == f"films/{prefix}-tls-quokka" and tls_film.revision > 0

    reader = tls_client(READER, "catalog")
    got = reader.get_film(tls_film.name)
    assert (got.title, got.etag) == ("The Quokka Certificate", tls_film.etag)
    page = reader.list_films(page_size=1000)
    assert tls_film.name in [film.name for film in page.films]
    assert page.revision >= tls_film.revision

    with pytest.raises(reel.ReelError) as denied:
        reader.create_film(reel.Film(title="Not allowed"), f"{prefix}-tls-by-reader")
    assert_denied(denied.value, READER, "/reel.catalog.v1.CatalogService/CreateFilm")
    # Nothing was written.
    with pytest.raises(reel.ReelError) as missing:
        reader.get_film(f"films/{prefix}-tls-by-reader")
    assert missing.value.code == Code.NOT_FOUND, missing.value


def test_tls_searcher_finds_the_writers_film_reader_may_not_search(tls_client, tls_film):
    searcher = tls_client(SEARCHER, "search")
    request = dict(min_revision=tls_film.revision,  # read-your-writes
                   filter=reel.SceneFilter(films=[tls_film.name]))
    hits, summary = searcher.search("quokka certificate", **request).result()
    assert [(hit.film, hit.scene_id) for hit in hits] == [(tls_film.name, "s1")]
    assert summary.index_revision >= tls_film.revision
    status = searcher.get_index_status()
    assert status.ready and status.applied_revision >= tls_film.revision

    reader = tls_client(READER, "search")
    with pytest.raises(reel.ReelError) as denied:
        reader.search("quokka certificate", **request).result()
    assert_denied(denied.value, READER, "/reel.search.v1.SearchService/SearchScenes")


def test_tls_no_role_only_health_and_no_certificate_no_connection(tls_client):
    with pytest.raises(reel.ReelError) as denied:
        tls_client(NOBODY, "catalog").list_films(page_size=1)
    assert_denied(denied.value, NOBODY, "/reel.catalog.v1.CatalogService/ListFilms")

    with pytest.raises(reel.ReelError) as denied:
        list(tls_client(NOBODY, "search").search("quokka"))
    assert_denied(denied.value, NOBODY, "/reel.search.v1.SearchService/SearchScenes")

    for service in ("catalog", "search"):
        assert tls_client(NOBODY, service).check_health() == "SERVING", service

    # Without a client certificate the handshake fails: no call gets through,
    # not even health.
    with pytest.raises(reel.ReelError) as refused:
        tls_client(None, "catalog").check_health()
    assert refused.value.code == Code.UNAVAILABLE, refused.value


# --- Orders, pages and facets (docs/api.md) ----------------------------------

def random_word():
    """A made-up word of this run (letters only, so it is indexed as one
    word): searching it finds this run's films and no others."""
    return "".join(random.choices(string.ascii_lowercase, k=12))


@pytest.fixture(scope="module")
def faceted_films(catalog, prefix):
    """Six films with known years, genres and directors, sharing a made-up
    word in ten of their scenes; a second word marks one scene as the best
    match. The other nine are three groups of three scenes with the same
    text, so equal scores, which pages of 1, 2 or 3 hits split. Returns the
    words, the films by key, their names and the import's revision."""
    word, best = random_word(), random_word()
    texts = [f"The {word} waits.",
             f"The {word} waits by the window.",
             f"The {word} waits by the window, and waits, and waits."]
    # key: title, year, genres, directors, the texts of its scenes with the word
    specs = {
        "cinder": ("Cinder Harbour", 1961, ["drama", "mystery"], ["Ada Moreau"], [0, 1, 2]),
        "aurora": ("Aurora Station", 1948, ["drama"], ["Ben Okafor"], [0, 1]),
        "beacon": ("beacon Lane", 1975, ["comedy", "drama"], ["Ada Moreau"], [0]),
        "dusk": ("Dusk Parade", 1948, ["comedy"], ["Cleo Varga"], [2, 2]),
        "ember": ("Ember Field", 2003, ["mystery"], ["Dev Rao"], [1]),
        "garnet": ("Garnet Road", 0, ["documentary"], ["Eve Lund"], [2]),  # year unknown
    }
    films = {}
    for key, (title, year, genres, directors, matching) in specs.items():
        scenes = [reel.Scene(scene_id=f"s{s}", title=f"{title}, part {s}",
                                    description=texts[text])
                  for s, text in enumerate(matching, 1)]
        # A scene without the word: never a match.
        scenes.append(reel.Scene(scene_id="s9", title=f"{title}, the end",
                                        description="Everyone goes home."))
        films[key] = reel.Film(
            name=f"films/{prefix}-facets-{key}", title=title, year=year, genres=genres,
            directors=directors, synopsis="An evening in town.", scenes=scenes)
    films["dusk"].scenes[1].description += f" Then the {best} arrives."  # the best match
    revision = import_films(catalog, list(films.values()))
    return SimpleNamespace(word=word, best=best, films=films, revision=revision,
                           names={film.name: key for key, film in films.items()})


def hit_ids(hits):
    return [(hit.film, hit.scene_id) for hit in hits]


def facet_values(values):
    return [(value.value, value.scene_count) for value in values]


def relevance(hit):
    """The relevance order's key (SortKey): every order ends with it."""
    key = hit.sort_key
    return (-key.matched_clauses, -key.score, key.film, key.scene_ordinal)


def test_facets_count_every_match(search, faceted_films):
    f = faceted_films
    _, hits, summary = search_all(
        search, query=f.word, min_revision=f.revision, max_results=2,
        facets=reel.FacetRequest(genres=2, years=3))
    assert summary.total_matches == 10 and len(hits) == 2
    assert {hit.film for hit in hits} <= set(f.names)
    # Over every match, not only the hits returned; most scenes first, then
    # by value; films without a year are not counted.
    assert facet_values(summary.facets.genres) == [("drama", 6), ("mystery", 4)]
    assert facet_values(summary.facets.years) == [("1948", 4), ("1961", 3), ("1975", 1)]
    assert not summary.facets.directors  # not asked for

    # A later page may ask for other facets: still over every match.
    _, _, summary = search_all(
        search, query=f.word, max_results=2, page_token=summary.next_page_token,
        facets=reel.FacetRequest(genres=10, directors=3))
    assert facet_values(summary.facets.genres) == [
        ("drama", 6), ("mystery", 4), ("comedy", 3), ("documentary", 1)]
    assert facet_values(summary.facets.directors) == [
        ("Ada Moreau", 4), ("Ben Okafor", 2), ("Cleo Varga", 2)]
    assert not summary.facets.years


def test_sort_orders(search, faceted_films):
    f = faceted_films
    # Relevance (the default): the scene with both words first.
    _, hits, summary = search_all(search, query=f"{f.word} {f.best}", min_revision=f.revision)
    assert summary.total_matches == 10
    assert hit_ids(hits[:1]) == [(f.films["dusk"].name, "s2")]
    assert [hit.sort_key.matched_clauses for hit in hits] == [2] + [1] * 9
    assert hits == sorted(hits, key=relevance)

    _, by_relevance, _ = search_all(search, query=f.word)
    assert by_relevance == sorted(by_relevance, key=relevance)
    matches = sorted(hit_ids(by_relevance))
    assert len(matches) == 10 and {film for film, _ in matches} == set(f.names)

    # Each order sorts by its own key, then by relevance.
    year = {film.name: film.year for film in f.films.values()}
    title = {film.name: film.title.lower() for film in f.films.values()}
    orders = {
        "SORT_ORDER_YEAR_ASCENDING": lambda h: (year[h.film] == 0, year[h.film], relevance(h)),
        "SORT_ORDER_YEAR_DESCENDING": lambda h: (year[h.film] == 0, -year[h.film], relevance(h)),
        "SORT_ORDER_TITLE": lambda h: (title[h.film], relevance(h)),
    }
    ordered = {}
    for order, key in orders.items():
        _, hits, _ = search_all(search, query=f.word, sort=order)  # the order's name
        assert sorted(hit_ids(hits)) == matches, order
        assert hits == sorted(hits, key=key), order
        assert [hit.rank for hit in hits] == list(range(1, 11)), order
        ordered[order] = hits
    # Films without a year come last both ways; titles compare ASCII
    # letters case-insensitively ("beacon Lane" after "Aurora Station").
    assert [hit.year for hit in ordered["SORT_ORDER_YEAR_ASCENDING"]] == (
        [1948] * 4 + [1961] * 3 + [1975, 2003, 0])
    assert [hit.year for hit in ordered["SORT_ORDER_YEAR_DESCENDING"]] == (
        [2003, 1975] + [1961] * 3 + [1948] * 4 + [0])
    assert [f.names[hit.film] for hit in ordered["SORT_ORDER_TITLE"]] == (
        ["aurora"] * 2 + ["beacon"] + ["cinder"] * 3 + ["dusk"] * 2 + ["ember", "garnet"])


def search_pages(search, max_results, query, **request):
    """Follows next_page_token to the end: (the hits of every page, pages)."""
    hits, pages = [], 0
    for page in search.search_pages(query, page_size=max_results, **request):
        assert len(page.hits) <= max_results
        hits += page.hits
        pages += 1
        assert pages <= 100
    return hits, pages


@pytest.mark.parametrize("order", ["SORT_ORDER_RELEVANCE", "SORT_ORDER_TITLE"])
def test_cursor_paging(search, faceted_films, order):
    f = faceted_films
    request = dict(query=f.word, sort=reel.SortOrder.Value(order))
    _, whole, summary = search_all(search, max_results=1000, min_revision=f.revision, **request)
    assert len(whole) == summary.total_matches == 10 and not summary.next_page_token

    # Pages until no next_page_token: the same hits, ranks continuing, also
    # where a page ends between scenes of equal score. Pages of 5 end at the
    # last hit: no token to an empty page.
    for size, want_pages in ((2, 5), (1, 10), (3, 4), (5, 2)):
        paged, pages = search_pages(search, size, **request)
        assert hit_ids(paged) == hit_ids(whole), f"pages of {size}"
        assert [hit.rank for hit in paged] == list(range(1, 11)), f"pages of {size}"
        assert pages == want_pages, f"pages of {size}"

    # At most one scene per film, over all pages: each film's first hit.
    capped, _ = search_pages(search, 2, max_scenes_per_film=1, **request)
    films = [hit.film for hit in capped]
    assert len(films) == len(set(films)) == 6
    firsts = [hit for i, hit in enumerate(whole) if hit.film not in {h.film for h in whole[:i]}]
    assert hit_ids(capped) == hit_ids(firsts)
    assert [hit.rank for hit in capped] == list(range(1, 7))


def test_page_token_refused(catalog, search, faceted_films, prefix):
    f = faceted_films
    _, _, summary = search_all(search, query=f.word, max_results=2, min_revision=f.revision)
    token = summary.next_page_token
    assert token

    def refused(**request):
        with pytest.raises(reel.ReelError) as error:
            search_all(search, max_results=2, **request)
        return error.value

    # A token of another request: another query, order or cap.
    for other in (dict(query=f"{f.word} {f.best}"),
                  dict(query=f.word, sort="title"),
                  dict(query=f.word, max_scenes_per_film=1)):
        error = refused(page_token=token, **other)
        assert error.code == Code.INVALID_ARGUMENT, (other, error)
        assert "page_token" in error.message, error

    # Altered: a character changed in the middle (where every character
    # carries bits of the token), cut short, or not a token at all.
    middle = len(token) // 2
    altered = token[:middle] + ("B" if token[middle] == "A" else "A") + token[middle + 1:]
    for bad in (altered, token[:-4], "not-a-token"):
        error = refused(query=f.word, page_token=bad)
        assert error.code == Code.INVALID_ARGUMENT, (bad, error)
        assert "page_token" in error.message, error

    # Unaltered, with its request, the token still continues the order.
    _, hits, _ = search_all(search, query=f.word, max_results=2, page_token=token)
    assert [hit.rank for hit in hits] == [3, 4]

    # Once the index applies a later write, the order cannot be continued.
    written = catalog.create_film(reel.Film(title="Later"), f"{prefix}-facets-later")
    search_all(search, query="later", min_revision=written.revision)
    error = refused(query=f.word, page_token=token)
    assert error.code == Code.FAILED_PRECONDITION, error
    assert "page_token" in error.message, error
