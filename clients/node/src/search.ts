import { createClient, type Client } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  SearchService,
  type GetIndexStatusResponse,
  type SceneHit,
  type SearchScenesRequestSchema,
  type SearchScenesResponse,
  type SearchSummary,
} from './gen/reel/search/v1/search_pb.js';
import { BaseClient } from './base.js';
import { ReelError, Status } from './errors.js';
import { linkSignal, type CallOptions, type ClientOptions } from './transport.js';

const METHOD = '/reel.search.v1.SearchService/';

/** A SearchScenes request: the message's fields as a plain object. */
export type SearchRequest = MessageInitShape<typeof SearchScenesRequestSchema>;

/** A whole search, or one page of one: its hits and its summary. */
export interface SearchPage {
  /** The hits in rank order. */
  hits: SceneHit[];
  /** The summary (totals, facets, next page token, corrections). */
  summary: SearchSummary;
  /** How many stream messages the hits came in. */
  messages: number;
}

/**
 * One SearchScenes call, read hit by hit: `for await (const hit of
 * results)` yields the hits in rank order as their messages arrive; once
 * the loop ends, `summary` is set. cancel() (or aborting the call's
 * signal) stops the search: the loop then throws CANCELLED. Read once.
 */
export class SearchResults implements AsyncIterable<SceneHit> {
  /** The summary, set once the stream has ended (after the last hit). */
  summary: SearchSummary | undefined;
  /** How many stream messages have arrived so far. */
  messages = 0;
  readonly #controller = new AbortController();
  readonly #open: (signal: AbortSignal) => AsyncIterable<SearchScenesResponse>;
  readonly #signal: AbortSignal | undefined;
  #read = false;

  /** Made by SearchClient.search(). */
  constructor(open: (signal: AbortSignal) => AsyncIterable<SearchScenesResponse>, signal?: AbortSignal) {
    this.#open = open;
    this.#signal = signal;
  }

  /** Cancels the search: the server stops, the reader gets CANCELLED. */
  cancel(): void {
    this.#controller.abort();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SceneHit, void, undefined> {
    if (this.#read) throw new Error('SearchResults: a search is read once');
    this.#read = true;
    const unlink = linkSignal(this.#signal, this.#controller);
    try {
      for await (const message of this.#open(this.#controller.signal)) {
        this.messages += 1;
        yield* message.hits;
        if (message.summary) this.summary = message.summary;
      }
    } finally {
      unlink();
    }
  }
}

/**
 * reel.search.v1.SearchService: streamed scene search and the index's
 * status. Every method rejects (or its stream throws) with a ReelError
 * carrying the gRPC code.
 *
 *   const search = new SearchClient('127.0.0.1:50052');
 *   const results = search.search({ query: 'red shoes' });
 *   for await (const hit of results) console.log(hit.rank, hit.filmTitle);
 *   console.log(results.summary?.totalMatches);
 */
export class SearchClient extends BaseClient {
  /**
   * The generated Connect client: every method, typed, without this
   * class's defaults (deadline) or error conversion (it throws
   * ConnectError).
   */
  readonly raw: Client<typeof SearchService>;

  /**
   * `address` is `host:port` (or an `http://` / `https://` URL); the
   * connection is plaintext HTTP/2 unless `options.tls` is set.
   */
  constructor(address: string, options?: ClientOptions) {
    super(address, options);
    this.raw = createClient(SearchService, this.connection.transport);
  }

  /**
   * SearchScenes as it comes: the stream's messages, each with hits in rank
   * order, the last also with the summary. Leaving the loop or aborting
   * `options.signal` cancels the call (an abort throws CANCELLED).
   */
  searchScenes(request: SearchRequest, options?: CallOptions): AsyncGenerator<SearchScenesResponse, void, undefined> {
    return this.connection.stream(`${METHOD}SearchScenes`, this.connection.withTimeout(options),
      (call) => this.raw.searchScenes(request, call));
  }

  /** SearchScenes hit by hit, with the summary at the end (see SearchResults). */
  search(request: SearchRequest, options?: CallOptions): SearchResults {
    return new SearchResults((signal) => this.searchScenes(request, { ...options, signal }), options?.signal);
  }

  /** A search read to its end: every hit and the summary. */
  async searchAll(request: SearchRequest, options?: CallOptions): Promise<SearchPage> {
    const results = this.search(request, options);
    const hits: SceneHit[] = [];
    for await (const hit of results) hits.push(hit);
    if (!results.summary) {
      throw new ReelError(Status.INTERNAL, 'the search stream ended without a summary', { method: `${METHOD}SearchScenes` });
    }
    return { hits, summary: results.summary, messages: results.messages };
  }

  /**
   * The pages of a search, following each summary's `nextPageToken` until
   * there is none (`maxResults` hits a page; ranks continue across pages).
   * Every page is one call with its own deadline. A token outlives no
   * index change: once the index applies a newer catalog revision the next
   * page is FAILED_PRECONDITION (search again from the first page).
   */
  async *pages(request: SearchRequest, options?: CallOptions): AsyncGenerator<SearchPage, void, undefined> {
    for (let pageToken = request.pageToken ?? ''; ;) {
      const page = await this.searchAll({ ...request, pageToken }, options);
      yield page;
      pageToken = page.summary.nextPageToken;
      if (!pageToken) return;
    }
  }

  /** How far the index has followed the catalog (`ready` once it serves). */
  getIndexStatus(options?: CallOptions): Promise<GetIndexStatusResponse> {
    return this.connection.unary(`${METHOD}GetIndexStatus`, this.connection.withTimeout(options),
      (call) => this.raw.getIndexStatus({}, call));
  }
}
