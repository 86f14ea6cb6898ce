// The configuration of a test registry: anonymous, htpasswd Basic auth, token auth against
// our issuer, https, or a pull-through cache of another registry.
// Reference: https://distribution.github.io/distribution/about/configuration/
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestPki } from '../tls.ts';
import type { Credentials } from './client.ts';
import type { TokenIssuer } from './token-issuer.ts';

export type RegistryAuth =
  | { kind: 'anonymous' }
  | { kind: 'htpasswd'; credentials: Credentials }
  | { kind: 'token'; issuer: TokenIssuer };

export interface RegistryConfigOptions {
  /** Default anonymous. */
  auth?: RegistryAuth;
  /**
   * Pull-through cache of `remoteUrl`, which must already answer: Distribution checks it at
   * start-up and exits otherwise. Distribution 2.8 hands `credentials` only to a Bearer token
   * realm (registry/proxy/proxyauth.go getAuthURLs): an htpasswd upstream gets none.
   */
  proxy?: { remoteUrl: string; credentials?: Credentials };
  /** Serve https with this certificate (127.0.0.1 and localhost). */
  tls?: TestPki;
}

const run = promisify(execFile);

/** Writes the files the config names into `dir`; returns the config for a port (JSON is YAML). */
export async function writeRegistryConfig(dir: string, options: RegistryConfigOptions) {
  const auth = options.auth ?? { kind: 'anonymous' };
  let authConfig: object | undefined;
  if (auth.kind === 'htpasswd') {
    const path = join(dir, 'htpasswd');
    const { username, password } = auth.credentials;
    // Distribution accepts bcrypt entries only; node:crypto has no bcrypt, apache2-utils has.
    // The error names the code only: its message would repeat the command line, password included.
    const { stdout } = await run('htpasswd', ['-Bbn', username, password]).catch(
      (error: NodeJS.ErrnoException) => {
        throw new Error(`htpasswd failed (${error.code}); it comes with Debian's apache2-utils`);
      },
    );
    await writeFile(path, stdout);
    authConfig = { htpasswd: { realm: 'test-registry', path } };
  } else if (auth.kind === 'token') {
    const { realm, service, issuer, rootCertBundle } = auth.issuer;
    authConfig = { token: { realm, service, issuer, rootcertbundle: rootCertBundle } };
  }
  let tlsConfig: object | undefined;
  if (options.tls) {
    const certificate = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    await writeFile(certificate, options.tls.cert);
    await writeFile(key, options.tls.key);
    tlsConfig = { certificate, key };
  }
  const proxy = options.proxy;
  return (port: number) => ({
    version: '0.1',
    // info: the "listening on" line is the start-up cue; the access log stays off.
    log: { level: 'info', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: 'test-only-secret',
      ...(tlsConfig ? { tls: tlsConfig } : {}),
    },
    ...(authConfig ? { auth: authConfig } : {}),
    ...(proxy
      ? {
          proxy: {
            remoteurl: proxy.remoteUrl,
            ...(proxy.credentials
              ? { username: proxy.credentials.username, password: proxy.credentials.password }
              : {}),
          },
        }
      : {}),
  });
}
