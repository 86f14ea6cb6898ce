// The reference artifact server (src/serve) started in this process on a free loopback
// port: the options a test does not care about are set here once, its JSON log is kept
// (access-log.ts), and URLs are signed with its secret.
import { type ArtifactServerOptions, startArtifactServer } from '../../src/serve/server.ts';
import { type Secret, signingKey } from '../../src/urls/keys.ts';
import { signUrl } from '../../src/urls/sign-url.ts';
import { serverLog } from './access-log.ts';

/** The folder served and the one signing secret; any other option replaces its default. */
export type InProcessServerOptions = { readonly folder: string; readonly secret: Secret } & Partial<
  Omit<ArtifactServerOptions, 'folder' | 'keys' | 'logger'>
>;

export async function startInProcessServer({ folder, secret, ...options }: InProcessServerOptions) {
  const log = serverLog();
  const running = await startArtifactServer({
    folder,
    keys: [signingKey(secret)],
    clockSkewSeconds: 0,
    bytesPerSecondPerConnection: undefined,
    sendTimeoutMs: 60_000,
    host: '127.0.0.1',
    port: 0,
    logger: log.logger,
    ...options,
  });
  /** The URL of `path`, signed with the secret, valid for 5 minutes. */
  const signed = (path: string) =>
    signUrl({ baseUrl: running.origin, path, ttlSeconds: 300, secret });
  return { running, log, signed };
}
