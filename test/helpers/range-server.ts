// A loopback server holding one artifact and its ETag, answering a Range request
// (bytes=N-M or bytes=N-) as the test has set: as asked (206), with the whole
// object (200), or 416. A request without a Range gets the whole object.
import type { ServerResponse } from 'node:http';
import { type LoopbackServer, serve } from './loopback-server.ts';

/** How the server answers a Range request. */
export type RangeAnswer = 'honour' | 'whole' | '416';

export interface RangeServer extends LoopbackServer {
  /** 'honour' until a test sets it otherwise. */
  onRange: RangeAnswer;
}

export async function serveRanges(artifact: Buffer, etag: string): Promise<RangeServer> {
  const whole = (response: ServerResponse) => {
    response.writeHead(200, { etag, 'content-length': artifact.length });
    response.end(artifact);
  };
  const server: RangeServer = Object.assign(
    await serve((request, response) => {
      const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
      if (range === null || server.onRange === 'whole') return whole(response);
      if (server.onRange === '416') {
        response.writeHead(416, { 'content-range': `bytes */${artifact.length}` });
        return response.end();
      }
      const from = Number(range[1]);
      const to = range[2] === '' ? artifact.length - 1 : Number(range[2]);
      response.writeHead(206, {
        etag,
        'content-length': to - from + 1,
        'content-range': `bytes ${from}-${to}/${artifact.length}`,
      });
      response.end(artifact.subarray(from, to + 1));
    }),
    { onRange: 'honour' as RangeAnswer },
  );
  return server;
}
