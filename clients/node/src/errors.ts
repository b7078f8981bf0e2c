import { ConnectError } from '@connectrpc/connect';

/**
 * gRPC status codes by name: `Status.INVALID_ARGUMENT === 3`. The numbers
 * are gRPC's own (Connect's `Code` uses the same ones).
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code's name, such as `'INVALID_ARGUMENT'`. */
export type StatusName = keyof typeof Status;
/** A gRPC status code, such as `3`. */
export type StatusCode = (typeof Status)[StatusName];

const NAMES = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, name])) as Record<
  number,
  StatusName
>;

/** The name of a status code: `statusName(3) === 'INVALID_ARGUMENT'`. */
export function statusName(code: number): StatusName {
  return NAMES[code] ?? 'UNKNOWN';
}

// Node error codes that mean the connection itself failed or was lost (TLS
// handshake refused, reset, refused, unreachable): gRPC reports those as
// UNAVAILABLE, where Connect says INTERNAL or ABORTED.
const TRANSPORT_ERRORS = /^(ERR_SSL_|ERR_TLS_|ECONNRESET$|ECONNREFUSED$|EPIPE$|EHOSTUNREACH$|ENETUNREACH$|ERR_HTTP2_(GOAWAY_SESSION|SESSION_ERROR)$)/;

function transportFailure(reason: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let error = reason; error instanceof Error && !seen.has(error); error = error.cause) {
    seen.add(error);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSPORT_ERRORS.test(code)) return `${code}: ${error.message}`;
  }
  return undefined;
}

/**
 * The error every call rejects (or every stream throws) with: the gRPC
 * status `code` and its `codeName`, and the server's message in `details`
 * (which starts with the request field at fault, e.g.
 * `query: unbalanced quote (no closing ") at byte 0`).
 */
export class ReelError extends Error {
  /** The gRPC status code (`Status.NOT_FOUND`, ...). */
  readonly code: StatusCode;
  /** The code's name (`'NOT_FOUND'`, ...). */
  readonly codeName: StatusName;
  /** The status message: the server's, or what failed on the client. */
  readonly details: string;
  /** The call's response headers and trailers, where the server sent any. */
  readonly metadata: Headers;
  /** The method called, `/reel.catalog.v1.CatalogService/GetFilm`. */
  readonly method: string | undefined;

  constructor(code: StatusCode, details: string, options: { method?: string; metadata?: Headers; cause?: unknown } = {}) {
    super(`${statusName(code)}: ${details}`, { cause: options.cause });
    this.name = 'ReelError';
    this.code = code;
    this.codeName = statusName(code);
    this.details = details;
    this.metadata = options.metadata ?? new Headers();
    this.method = options.method;
  }

  /** A ReelError for anything a call threw (a ConnectError, a Node error, ...). */
  static from(reason: unknown, method?: string): ReelError {
    if (reason instanceof ReelError) return reason;
    const error = ConnectError.from(reason);
    let code = error.code as number as StatusCode;
    let details = error.rawMessage;
    const failure = (code === Status.INTERNAL || code === Status.ABORTED || code === Status.UNKNOWN)
      ? transportFailure(reason) : undefined;
    if (failure !== undefined) {
      code = Status.UNAVAILABLE;
      details = `connection failed: ${failure}`;
    }
    return new ReelError(code, details, { method, metadata: error.metadata, cause: reason });
  }
}

/**
 * Whether `error` is a ReelError (also one from the package's other module
 * format), and when `code` is given, one with that code.
 */
export function isReelError(error: unknown, code?: StatusCode): error is ReelError {
  if (!(error instanceof Error) || error.name !== 'ReelError') return false;
  const own = (error as { code?: unknown }).code;
  return typeof own === 'number' && (code === undefined || own === code);
}

