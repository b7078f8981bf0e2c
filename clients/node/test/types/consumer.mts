// A typed consumer of @reel/client (ES module). `tsc --noEmit` compiles it
// in test/package.test.mjs. Each line that must not compile is marked as an
// expected error, so types that loosened into `any` fail the check too.
import {
  CatalogClient,
  FilmEvent_EventType,
  FilmSchema,
  HealthCheckResponse_ServingStatus,
  HighlightField,
  ReelError,
  SearchClient,
  SearchResults,
  SortOrder,
  Status,
  VERSION,
  create,
  isReelError,
  statusName,
  tlsFromDir,
  toJson,
  type CallOptions,
  type ClientOptions,
  type Film,
  type GetFilmResponse,
  type ImportFilmsResponse,
  type SceneHit,
  type SearchPage,
  type SearchScenesResponse,
  type SearchSummary,
  type StatusCode,
  type StatusName,
  type TlsOptions,
  type WatchFilmsResponse,
} from '@reel/client';

// Equal<A, B> is true only when A and B are the same type.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function same<A, B>(check: Equal<A, B>): void {
  void check;
}

export const version: string = VERSION;

export async function catalogCalls(catalog: CatalogClient): Promise<bigint> {
  const options: CallOptions = { timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) };
  const { film } = await catalog.createFilm({
    filmId: 'typed',
    requestId: 'typed-create',
    film: { title: 'Typed', year: 1999, genres: ['drama'], scenes: [{ sceneId: 's1', title: 'One', description: 'First.' }] },
  }, options);
  same<typeof film, Film | undefined>(true);
  if (!film) return 0n;
  same<typeof film.revision, bigint>(true); // int64
  same<typeof film.year, number>(true); // int32
  same<typeof film.scenes[number]['sceneId'], string>(true);

  const got: GetFilmResponse = await catalog.getFilm({ name: film.name });
  const updated = await catalog.updateFilm({ film: { name: film.name, etag: film.etag, title: 'Typed II' }, updateMask: { paths: ['title'] } });
  const deleted = await catalog.deleteFilm({ name: film.name, etag: updated.film?.etag ?? '' });
  same<typeof deleted.revision, bigint>(true);

  const imported: ImportFilmsResponse = await catalog.importFilms([{ films: [{ name: 'films/a', title: 'A' }] }]);
  same<typeof imported.errors[number]['code'], number>(true);
  await catalog.importFilms((async function* () {
    yield { films: [create(FilmSchema, { name: 'films/b', title: 'B' })], replaceExisting: true };
  })());

  for await (const film of catalog.films({ pageSize: 50 })) same<typeof film, Film>(true);
  for await (const message of catalog.watchFilms({ startRevision: got.film?.revision ?? 0n })) {
    same<typeof message, WatchFilmsResponse>(true);
    for (const event of message.events) {
      same<typeof event.type, FilmEvent_EventType>(true);
      if (event.type === FilmEvent_EventType.DELETED) return event.revision;
    }
  }

  // @ts-expect-error int64 fields take bigint, not number
  await catalog.watchFilms({ startRevision: 5 }).next();
  // @ts-expect-error no such field
  await catalog.getFilm({ filmName: 'films/x' });
  // @ts-expect-error a title is a string
  await catalog.createFilm({ film: { title: 7 } });
  // @ts-expect-error an update mask is a FieldMask
  await catalog.updateFilm({ film: { name: 'films/x' }, updateMask: 'title' });
  return 0n;
}

export async function searchCalls(search: SearchClient): Promise<number> {
  const results: SearchResults = search.search({
    query: 'red shoes',
    minRevision: 12n,
    maxResults: 20,
    sort: SortOrder.YEAR_DESCENDING,
    facets: { genres: 5, years: 10 },
    filter: { films: ['films/the-red-shoes'], yearMin: 1940 },
  }, { timeoutMs: 2_000 });
  let spans = 0;
  for await (const hit of results) {
    same<typeof hit, SceneHit>(true);
    same<typeof hit.rank, number>(true);
    for (const { snippet, spans: marks, field } of hit.highlights) {
      same<typeof field, HighlightField>(true);
      for (const span of marks) spans += snippet.slice(span.startUtf16, span.endUtf16).length;
    }
    if (hit.rank === 1) results.cancel();
  }
  same<typeof results.summary, SearchSummary | undefined>(true);
  const total: bigint | undefined = results.summary?.totalMatches;
  void total;

  const page: SearchPage = await search.searchAll({ query: 'ballet' });
  same<typeof page.summary.nextPageToken, string>(true);
  for (const facet of page.summary.facets?.genres ?? []) same<typeof facet.sceneCount, bigint>(true);
  for await (const next of search.pages({ query: 'ballet', maxResults: 2 })) spans += next.hits.length;
  for await (const message of search.searchScenes({ query: 'ballet' })) {
    same<typeof message, SearchScenesResponse>(true);
    same<typeof message.summary, SearchSummary | undefined>(true);
  }
  const status = await search.getIndexStatus();
  same<typeof status.ready, boolean>(true);
  same<Awaited<ReturnType<SearchClient['checkHealth']>>, HealthCheckResponse_ServingStatus>(true);

  // @ts-expect-error sort orders are the SortOrder enum, not strings
  search.search({ query: 'x', sort: 'SORT_ORDER_TITLE' });
  // @ts-expect-error minRevision is int64: bigint
  search.search({ query: 'x', minRevision: 3 });
  // @ts-expect-error a query is required to be a string
  search.search({ query: ['x'] });
  return spans;
}

export function errors(error: unknown): StatusName | undefined {
  if (isReelError(error, Status.PERMISSION_DENIED)) {
    same<typeof error, ReelError>(true);
    same<typeof error.code, StatusCode>(true);
    const details: string = error.details;
    const method: string | undefined = error.method;
    void details;
    void method;
    return error.codeName;
  }
  if (error instanceof ReelError && error.code === Status.NOT_FOUND) return statusName(error.code);
  // @ts-expect-error codes are gRPC's numbers
  isReelError(error, 'NOT_FOUND');
  return undefined;
}

export function connecting(): [CatalogClient, SearchClient] {
  const tls: TlsOptions = tlsFromDir('tls/reel-writer');
  const options: ClientOptions = { tls, timeoutMs: 10_000 };
  // @ts-expect-error TLS is settings, a directory or true
  const wrong: ClientOptions = { tls: 42 };
  void wrong;
  return [new CatalogClient('127.0.0.1:50051', options), new SearchClient('127.0.0.1:50052', { tls: 'tls/reel-web' })];
}

export const json = toJson(FilmSchema, create(FilmSchema, { title: 'X' }));
