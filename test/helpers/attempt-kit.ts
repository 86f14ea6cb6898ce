// What a test of one attempt (whole file or part) needs: a range server over the
// artifact, an AttemptContext on the loader's real HTTP client with a Logger into an array,
// and an empty temp file; all given back (temp file first) on dispose.
import { join } from 'node:path';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import type { AttemptContext } from '../../src/download/session.ts';
import { urlTarget } from '../../src/download/target.ts';
import { Redactor } from '../../src/log/redact.ts';
import { type LoggedEvent, loggerInto } from './download-kit.ts';
import { testClient } from './http-client.ts';
import { type RangeServer, serveRanges } from './range-server.ts';
import { makeTempDir } from './tmp.ts';

export interface AttemptKit extends AsyncDisposable {
  readonly server: RangeServer;
  readonly context: AttemptContext;
  /** Every event the context's logger wrote, in order. */
  readonly events: LoggedEvent[];
  /** The empty app.jar the attempt writes into. */
  readonly temp: TempArtifact;
}

/** An attempt's world for `artifact` under `etag`, its temp file in a folder named `dirPrefix…`. */
export async function attemptKit(
  dirPrefix: string,
  artifact: Buffer,
  etag: string,
): Promise<AttemptKit> {
  await using stack = new AsyncDisposableStack();
  const server = stack.use(await serveRanges(artifact, etag));
  const client = stack.use(testClient());
  const dir = stack.use(await makeTempDir(dirPrefix));
  const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
  stack.defer(() => temp.discard());
  const events: LoggedEvent[] = [];
  const redactor = new Redactor();
  const target = urlTarget(server.url(), artifact.length, redactor);
  const context: AttemptContext = {
    client,
    maxRedirects: 0,
    redactor,
    source: target.sources.current,
    expectedSizeBytes: artifact.length,
    sizeName: target.sizeName,
    answerError: target.answerError,
    userAgent: 'test',
    logger: loggerInto(events, redactor),
    onBytes: () => {},
    onWholeObject: () => {},
  };
  const owned = stack.move();
  return { server, context, events, temp, [Symbol.asyncDispose]: () => owned.disposeAsync() };
}
