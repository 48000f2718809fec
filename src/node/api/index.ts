export { BearerTokenCheck, MIN_API_TOKEN_CHARS } from './auth.js';
export {
  mediaType,
  parseJsonBody,
  parseJsonBodyAs,
  readTransactionBatchBody,
  readTransactionBody,
} from './body.js';
export { ApiClient, ApiClientError, type ApiClientOptions } from './client.js';
export { errorAnswer, httpStatusFor } from './errors.js';
export { toJsonText } from './json.js';
export { type ApiServer, type ApiServerOptions, createApiServer } from './server.js';
export { generateApiToken, readApiTokenFile, writeApiTokenFile } from './token-file.js';
export type {
  ApiErrorBody,
  ApiHandler,
  ApiJsonResponse,
  ApiRawResponse,
  ApiRequest,
  ApiResponse,
  HttpMethod,
  RouteOptions,
} from './types.js';
