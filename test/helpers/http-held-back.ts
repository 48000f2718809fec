// An HTTP request whose body is held back: the headers and the first `sentBytes` of the body
// (chunked unless the headers declare a length) are sent, the rest never is. How a client sees a
// server refuse a body while it is still arriving, by its declared length or by the bytes so far.
import { request as httpRequest } from 'node:http';

/** A server that waits for the whole body never answers: give up after this much silence. */
const SILENCE_TIMEOUT_MS = 10_000;

export function answerWithBodyHeldBack(
  target: string,
  method: string,
  headers: Record<string, string>,
  sentBytes = 0,
): Promise<{ status: number; text: string; connection: string | undefined }> {
  const url = new URL(target);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (part: string) => {
          text += part;
        });
        response.on('end', () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, text, connection: response.headers.connection });
        });
      },
    );
    request.on('error', reject);
    request.setTimeout(SILENCE_TIMEOUT_MS, () =>
      request.destroy(new Error(`no answer within ${SILENCE_TIMEOUT_MS} ms while the body was held back`)),
    );
    request.flushHeaders();
    for (let offset = 0; offset < sentBytes; offset += 64 * 1024) {
      request.write(new Uint8Array(Math.min(64 * 1024, sentBytes - offset)));
    }
  });
}
