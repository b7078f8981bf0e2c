import { setMaxListeners } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Code, ConnectError, type CallOptions as ConnectCallOptions, type Interceptor, type Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ReelError, Status } from './errors.js';

/** The deadline of a call that sets none: 10 seconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Options of one call: `timeoutMs` (its deadline in milliseconds; the
 * client's `timeoutMs` when unset, `Infinity` for none), `signal` (aborting
 * it cancels the call: CANCELLED), `headers` (metadata sent), `onHeader` /
 * `onTrailer`.
 */
export type CallOptions = ConnectCallOptions;

/**
 * TLS settings: `ca` verifies the server (absent: the system's roots),
 * `cert` + `key` are the client certificate (mutual TLS; the identity the
 * services' authorization policy decides on), `serverName` the name to
 * verify when it differs from the address's host.
 */
export interface TlsOptions {
  ca?: string | Uint8Array;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  serverName?: string;
}

/**
 * TLS settings from a directory laid out the way the services' `--tls_dir`
 * reads one: `ca.crt` (absent: the system's roots), `tls.crt` and `tls.key`
 * (absent: no client certificate).
 */
export function tlsFromDir(dir: string): TlsOptions {
  const read = (name: string): Buffer | undefined => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  };
  const tls: TlsOptions = {};
  const [ca, cert, key] = [read('ca.crt'), read('tls.crt'), read('tls.key')];
  if (ca) tls.ca = ca;
  if (cert && key) Object.assign(tls, { cert, key });
  return tls;
}

/** How a client connects. */
export interface ClientOptions {
  /**
   * TLS: settings, a `--tls_dir`-style directory (see tlsFromDir), or `true`
   * for the system's roots and no client certificate. Absent: plaintext
   * HTTP/2.
   */
  tls?: TlsOptions | string | boolean;
  /**
   * The deadline of calls that set none (WatchFilms excepted), in
   * milliseconds: 10 s by default; `Infinity` for none.
   */
  timeoutMs?: number;
  /** Connect interceptors, run around every call. */
  interceptors?: Interceptor[];
  /**
   * A Connect transport to use instead of the client's own (then `tls` and
   * `interceptors` do not apply, and close() leaves it open).
   */
  transport?: Transport;
}

/** A client's transport: gRPC over HTTP/2, and the session it owns. */
export class Connection {
  readonly transport: Transport;
  readonly timeoutMs: number;
  readonly #sessions: Http2SessionManager | undefined;
  // Aborted by close(): every call's signal follows it.
  readonly #closing = new AbortController();

  constructor(address: string, options: ClientOptions = {}) {
    setMaxListeners(0, this.#closing.signal); // one listener per call in flight
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.transport) {
      this.transport = options.transport;
      return;
    }
    const tls = typeof options.tls === 'string' ? tlsFromDir(options.tls)
      : options.tls === true ? {} : options.tls || undefined;
    const baseUrl = /^https?:\/\//.test(address) ? address : `${tls ? 'https' : 'http'}://${address}`;
    if (tls && baseUrl.startsWith('http:')) {
      throw new ReelError(Status.INVALID_ARGUMENT, `address: ${address} is http:// but TLS settings were given`);
    }
    const pem = (value: string | Uint8Array): string | Buffer =>
      (typeof value === 'string' ? value : Buffer.from(value));
    const nodeOptions = tls ? {
      ...(tls.ca !== undefined && { ca: pem(tls.ca) }),
      ...(tls.cert !== undefined && { cert: pem(tls.cert) }),
      ...(tls.key !== undefined && { key: pem(tls.key) }),
      ...(tls.serverName !== undefined && { servername: tls.serverName }),
    } : {};
    this.#sessions = new Http2SessionManager(baseUrl, {}, nodeOptions);
    this.transport = createGrpcTransport({
      baseUrl,
      sessionManager: this.#sessions,
      interceptors: options.interceptors ?? [],
    });
  }

  /**
   * `options` with the client's deadline when it sets none (`Infinity`:
   * no deadline).
   */
  withTimeout(options: CallOptions | undefined): CallOptions {
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    return { ...options, timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : undefined };
  }

  /** `options` without a deadline unless it sets one (for endless streams). */
  withoutTimeout(options: CallOptions | undefined): CallOptions {
    const timeoutMs = options?.timeoutMs;
    return { ...options, timeoutMs: timeoutMs !== undefined && Number.isFinite(timeoutMs) ? timeoutMs : undefined };
  }

  #checkOpen(method: string): void {
    if (this.#closing.signal.aborted) throw new ReelError(Status.CANCELLED, 'the client was closed', { method });
  }

  /** Closes the connection: calls in flight, and later ones, fail with CANCELLED. */
  close(): void {
    const reason = new ConnectError('the client was closed', Code.Canceled);
    this.#closing.abort(reason);
    this.#sessions?.abort(reason);
  }

  /**
   * The ReelError for what a call threw; `signal` is the call's own, which
   * only the caller and close() abort. A call they cancelled is CANCELLED,
   * whatever reason the abort gave. A call that ends CANCELLED though they
   * did not cancel it lost its connection (the server closed it, or refused
   * the TLS handshake after it seemed done): gRPC reports that as
   * UNAVAILABLE, Connect as CANCELLED.
   */
  error(reason: unknown, method: string, signal: AbortSignal): ReelError {
    const error = ReelError.from(reason, method);
    const options = { method, metadata: error.metadata, cause: reason };
    if (signal.aborted) {
      return error.code === Status.CANCELLED ? error : new ReelError(Status.CANCELLED, error.details, options);
    }
    if (error.code !== Status.CANCELLED) return error;
    return new ReelError(Status.UNAVAILABLE, `the connection closed before the call completed (${error.details})`,
      options);
  }

  /** Runs a unary (or client-streaming) call, rejecting with a ReelError. */
  async unary<T>(method: string, options: CallOptions, call: (options: CallOptions) => Promise<T>): Promise<T> {
    this.#checkOpen(method);
    const controller = new AbortController();
    const unlink = [linkSignal(options.signal, controller), linkSignal(this.#closing.signal, controller)];
    try {
      return await call({ ...options, signal: controller.signal });
    } catch (error) {
      throw this.error(error, method, controller.signal);
    } finally {
      for (const undo of unlink) undo();
    }
  }

  /**
   * A server stream's messages, opened on the first read: throws a
   * ReelError; leaving the loop early (break, return, throw) cancels the
   * call. (Connect's own iterables do neither: they start at once, and a
   * call left unread runs on, its deadline timer too, until the server ends
   * it.)
   */
  async *stream<T>(method: string, options: CallOptions,
    open: (options: CallOptions) => AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
    this.#checkOpen(method);
    const controller = new AbortController();
    const unlink = [linkSignal(options.signal, controller), linkSignal(this.#closing.signal, controller)];
    let ended = false;
    try {
      const messages = open({ ...options, signal: controller.signal })[Symbol.asyncIterator]();
      try {
        for (;;) {
          let next: IteratorResult<T>;
          try {
            next = await messages.next();
          } catch (error) {
            ended = true;
            throw this.error(error, method, controller.signal);
          }
          if (next.done) {
            ended = true;
            return;
          }
          yield next.value;
        }
      } finally {
        if (!ended) {
          // Left early: cancel the call, and read its end so that Connect
          // releases the stream and its deadline timer.
          controller.abort();
          await messages.next().catch(() => undefined);
        }
      }
    } finally {
      for (const undo of unlink) undo();
    }
  }
}

/** Aborts `controller` when `outer` does, until the returned unlink(). */
export function linkSignal(outer: AbortSignal | undefined, controller: AbortController): () => void {
  if (!outer) return () => undefined;
  if (outer.aborted) {
    controller.abort(outer.reason);
    return () => undefined;
  }
  const onAbort = (): void => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return () => outer.removeEventListener('abort', onAbort);
}

/** Turns one request, an array, or a (sync or async) iterable into an async iterable. */
export async function* requestStream<T>(requests: T | Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  if (requests !== null && typeof requests === 'object' && Symbol.asyncIterator in requests) {
    yield* requests as AsyncIterable<T>;
  } else if (requests !== null && typeof requests === 'object' && Symbol.iterator in requests) {
    yield* requests as Iterable<T>;
  } else {
    yield requests as T;
  }
}
