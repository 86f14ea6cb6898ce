// One download-core case: the fault server, a download kit over its artifact, and an
// empty temp file to download into, all given back (the temp file discarded first) on
// dispose. Each test then says only what the server does and what it asserts.
import { join } from 'node:path';
import { TempArtifact } from '../../src/artifact/temp-artifact.ts';
import type { LoaderConfig } from '../../src/config/types.ts';
import type { DownloadSession } from '../../src/download/session.ts';
import { configFor, type DownloadKit, downloadKit } from './download-kit.ts';
import { type ArtifactServer, startArtifactServer } from './fault-server.ts';
import { makeTempDir } from './tmp.ts';

export interface DownloadCase extends AsyncDisposable {
  readonly server: ArtifactServer;
  readonly kit: DownloadKit;
  readonly session: DownloadSession;
  /** The empty app.jar the case downloads into. */
  readonly temp: TempArtifact;
}

/** A case in a fresh temp folder named `dirPrefix…`, its configuration with `overrides`. */
export async function downloadCase(
  dirPrefix: string,
  overrides: Partial<LoaderConfig> = {},
): Promise<DownloadCase> {
  await using stack = new AsyncDisposableStack();
  const server = stack.use(await startArtifactServer());
  const dir = stack.use(await makeTempDir(dirPrefix));
  const kit = stack.use(downloadKit(configFor(server.url(), server.artifact.length, overrides)));
  const temp = await TempArtifact.create(join(dir.path, 'app.jar'));
  stack.defer(() => temp.discard());
  const owned = stack.move();
  return {
    server,
    kit,
    session: kit.session,
    temp,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}
