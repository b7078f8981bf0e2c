/**
 * Reel's TypeScript client: typed messages and services generated from
 * Reel's contracts (reel.catalog.v1, reel.search.v1, and grpc.health.v1),
 * and CatalogClient / SearchClient over gRPC (HTTP/2) with Connect.
 *
 *   import { CatalogClient, SearchClient } from '@reel/client';
 *
 * @packageDocumentation
 */
export * from './gen/reel/catalog/v1/catalog_pb.js';
export * from './gen/reel/search/v1/search_pb.js';
export * from './gen/grpc/health/v1/health_pb.js';
export { VERSION } from './version.js';
export { ReelError, Status, isReelError, statusName, type StatusCode, type StatusName } from './errors.js';
export {
  DEFAULT_TIMEOUT_MS,
  Connection,
  tlsFromDir,
  type CallOptions,
  type ClientOptions,
  type TlsOptions,
} from './transport.js';
export { BaseClient } from './base.js';
export { CatalogClient } from './catalog.js';
export { SearchClient, SearchResults, type SearchPage, type SearchRequest } from './search.js';
// Working with messages: create(FilmSchema, {...}), toJson(FilmSchema, film)
// (int64 as strings), timestampDate(film.updateTime).
export { clone, create, equals, fromJson, toJson, toJsonString, type MessageInitShape } from '@bufbuild/protobuf';
export { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
