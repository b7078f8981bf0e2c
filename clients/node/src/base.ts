import { createClient, type Client } from '@connectrpc/connect';
import { Health, type HealthCheckResponse_ServingStatus } from './gen/grpc/health/v1/health_pb.js';
import { Connection, type CallOptions, type ClientOptions } from './transport.js';

/** What the catalog and search clients share: the connection and health. */
export abstract class BaseClient {
  /** The client's connection (its Connect transport and default deadline). */
  readonly connection: Connection;
  readonly #health: Client<typeof Health>;

  protected constructor(address: string, options?: ClientOptions) {
    this.connection = new Connection(address, options);
    this.#health = createClient(Health, this.connection.transport);
  }

  /**
   * grpc.health.v1.Health/Check: whether the server (`service` empty) or
   * one of its services (`'reel.search.v1.SearchService'`) is serving. Any
   * client certificate the services' CA signed may call it.
   */
  async checkHealth(service = '', options?: CallOptions): Promise<HealthCheckResponse_ServingStatus> {
    const response = await this.connection.unary('/grpc.health.v1.Health/Check',
      this.connection.withTimeout(options), (call) => this.#health.check({ service }, call));
    return response.status;
  }

  /** Closes the connection: calls in flight, and later ones, fail with CANCELLED. */
  close(): void {
    this.connection.close();
  }
}
