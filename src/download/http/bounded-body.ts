import { redactUrl } from '../../urls/shown.ts';
import { errorForNetworkFailure } from './classify.ts';
import { isTransportError, type Response } from './request.ts';

/**
 * A small body read whole into memory (a manifest, a blob, a token), at most
 * `limit` + 1 bytes of it: the caller tells a too-large one by its size. A
 * body that breaks off is the fetch failure it is (transient when it is), an
 * abort of `signal` its reason.
 */
export async function readBoundedBody(
  response: Response,
  limit: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length > limit) break;
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (!isTransportError(error)) throw error;
    throw errorForNetworkFailure(error, redactUrl(response.url));
  }
  return Buffer.concat(chunks);
}
