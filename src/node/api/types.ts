// Contract between the API server and the routes the node registers (design section 10).
import type { IncomingHttpHeaders } from 'node:http';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface ApiRequest {
  readonly method: HttpMethod;
  /** The decoded path without the query, e.g. "/blocks/12". */
  readonly path: string;
  /** Values of the pattern's ":name" segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The media type of the body, lowercased and without parameters ("application/json"). */
  readonly contentType: string | undefined;
  /** The whole body for ordinary routes (empty when there is none, and for streamed routes). */
  readonly body: Uint8Array;
  /**
   * Streamed routes only (payload uploads written to disk as they arrive): the body in chunks.
   * Iterating throws MESSAGE_TOO_LARGE once the route's byte limit is passed.
   */
  readonly bodyStream: AsyncIterable<Uint8Array> | undefined;
}

export interface ApiJsonResponse {
  readonly status?: number;
  readonly json: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiRawResponse {
  readonly status?: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ApiResponse = ApiJsonResponse | ApiRawResponse;

export type ApiHandler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

export interface RouteOptions {
  /** Whether the bearer token is required. Default: true for POST, PUT, PATCH and DELETE. */
  readonly auth?: boolean;
  /** Largest body accepted, in bytes. Default LIMITS.maxApiBodyBytes. */
  readonly maxBodyBytes?: number;
  /** Hand the body to the handler as a stream instead of buffering it (payload uploads). */
  readonly streamBody?: boolean;
  /** Media types accepted for the body; anything else gets 415 before the body is read. */
  readonly accepts?: readonly string[];
}

/** The JSON body of every error answer. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
