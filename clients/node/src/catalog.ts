import { createClient, type Client } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  CatalogService,
  type CreateFilmRequestSchema,
  type CreateFilmResponse,
  type DeleteFilmRequestSchema,
  type DeleteFilmResponse,
  type Film,
  type GetFilmRequestSchema,
  type GetFilmResponse,
  type ImportFilmsRequestSchema,
  type ImportFilmsResponse,
  type ListFilmsRequestSchema,
  type ListFilmsResponse,
  type UpdateFilmRequestSchema,
  type UpdateFilmResponse,
  type WatchFilmsRequestSchema,
  type WatchFilmsResponse,
} from './gen/reel/catalog/v1/catalog_pb.js';
import { BaseClient } from './base.js';
import { requestStream, type CallOptions, type ClientOptions } from './transport.js';

const METHOD = '/reel.catalog.v1.CatalogService/';

/**
 * reel.catalog.v1.CatalogService: films, revisions and the WatchFilms
 * change feed. Requests are plain objects of the messages' fields
 * (camelCase; int64 fields as `bigint`), responses typed messages; every
 * method rejects with a ReelError carrying the gRPC code.
 *
 *   const catalog = new CatalogClient('127.0.0.1:50051');
 *   const { film } = await catalog.getFilm({ name: 'films/the-red-shoes' });
 */
export class CatalogClient extends BaseClient {
  /**
   * The generated Connect client: every method, typed, without this
   * class's defaults (deadline) or error conversion (it throws
   * ConnectError).
   */
  readonly raw: Client<typeof CatalogService>;

  /**
   * `address` is `host:port` (or an `http://` / `https://` URL); the
   * connection is plaintext HTTP/2 unless `options.tls` is set.
   */
  constructor(address: string, options?: ClientOptions) {
    super(address, options);
    this.raw = createClient(CatalogService, this.connection.transport);
  }

  /**
   * Creates a film (`filmId` names it `films/{filmId}`). A retry with the
   * same `requestId` returns the first response and writes nothing.
   * ALREADY_EXISTS, INVALID_ARGUMENT naming the field at fault.
   */
  createFilm(request: MessageInitShape<typeof CreateFilmRequestSchema>, options?: CallOptions): Promise<CreateFilmResponse> {
    return this.connection.unary(`${METHOD}CreateFilm`, this.connection.withTimeout(options),
      (call) => this.raw.createFilm(request, call));
  }

  /** Reads a film by name (`films/{filmId}`). NOT_FOUND. */
  getFilm(request: MessageInitShape<typeof GetFilmRequestSchema>, options?: CallOptions): Promise<GetFilmResponse> {
    return this.connection.unary(`${METHOD}GetFilm`, this.connection.withTimeout(options),
      (call) => this.raw.getFilm(request, call));
  }

  /**
   * One page of films in film-id order; pass `nextPageToken` back as
   * `pageToken` until it is empty (or use films()).
   */
  listFilms(request: MessageInitShape<typeof ListFilmsRequestSchema> = {}, options?: CallOptions): Promise<ListFilmsResponse> {
    return this.connection.unary(`${METHOD}ListFilms`, this.connection.withTimeout(options),
      (call) => this.raw.listFilms(request, call));
  }

  /**
   * Every film, in film-id order, fetched page by page (`pageSize` per
   * call; each call with its own deadline).
   */
  async *films(request: { pageSize?: number } = {},
    options?: CallOptions): AsyncGenerator<Film, void, undefined> {
    for (let pageToken = ''; ;) {
      const page = await this.listFilms({ ...request, pageToken }, options);
      yield* page.films;
      pageToken = page.nextPageToken;
      if (!pageToken) return;
    }
  }

  /**
   * Changes the fields `updateMask.paths` names. With `film.etag`, a film
   * changed since is ABORTED and nothing is written.
   */
  updateFilm(request: MessageInitShape<typeof UpdateFilmRequestSchema>, options?: CallOptions): Promise<UpdateFilmResponse> {
    return this.connection.unary(`${METHOD}UpdateFilm`, this.connection.withTimeout(options),
      (call) => this.raw.updateFilm(request, call));
  }

  /** Deletes a film (with `etag`: only if unchanged, else ABORTED). */
  deleteFilm(request: MessageInitShape<typeof DeleteFilmRequestSchema>, options?: CallOptions): Promise<DeleteFilmResponse> {
    return this.connection.unary(`${METHOD}DeleteFilm`, this.connection.withTimeout(options),
      (call) => this.raw.deleteFilm(request, call));
  }

  /**
   * ImportFilms, client-streaming: sends one request, an array of them, or
   * a (sync or async) iterable of them (each up to 10,000 films), and
   * resolves to the counts, the per-film errors and the last revision
   * written. Films that fail are reported in `errors`, not thrown.
   */
  importFilms(
    requests: MessageInitShape<typeof ImportFilmsRequestSchema>
      | Iterable<MessageInitShape<typeof ImportFilmsRequestSchema>>
      | AsyncIterable<MessageInitShape<typeof ImportFilmsRequestSchema>>,
    options?: CallOptions,
  ): Promise<ImportFilmsResponse> {
    return this.connection.unary(`${METHOD}ImportFilms`, this.connection.withTimeout(options),
      (call) => this.raw.importFilms(requestStream(requests), call));
  }

  /**
   * WatchFilms: every change after `startRevision` (0: a snapshot of every
   * film first), in revision order, as an async iterable. The stream does
   * not end on its own: leave the loop (break, return) or abort
   * `options.signal` to stop it. Each message's `revision` is where to
   * resume. No deadline unless `options.timeoutMs` sets one.
   */
  watchFilms(request: MessageInitShape<typeof WatchFilmsRequestSchema> = {}, options?: CallOptions): AsyncGenerator<WatchFilmsResponse, void, undefined> {
    return this.connection.stream(`${METHOD}WatchFilms`, this.connection.withoutTimeout(options),
      (call) => this.raw.watchFilms(request, call));
  }
}
