// A throwaway private CA and a server certificate for 127.0.0.1, ::1 and localhost,
// made with the openssl CLI (EC P-256, so it takes milliseconds, not seconds).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './tmp.ts';

const run = promisify(execFile);

export interface TestPki extends AsyncDisposable {
  dir: string;
  /** PEM file of the CA, for NODE_EXTRA_CA_CERTS or a loader CA setting; readable by any uid. */
  caCertPath: string;
  /** The CA certificate PEM, for a client's `ca` option. */
  caCert: string;
  /** Server private key and certificate PEM, for `startArtifactServer({ tls })`. */
  key: string;
  cert: string;
  cleanup(): Promise<void>;
}

// Our own config, so the system openssl.cnf (and its default extensions) plays no part.
const opensslConfig = `
[req]
distinguished_name = dn
prompt = no

[dn]
CN = placeholder

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const newP256Key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];

export async function makeTestPki(): Promise<TestPki> {
  const temp = await makeTempDir('runtime-loader-pki-');
  const path = (name: string) => join(temp.path, name);
  try {
    await writeFile(path('openssl.cnf'), opensslConfig);
    const common = [
      'req',
      '-x509',
      '-config',
      path('openssl.cnf'),
      '-sha256',
      '-days',
      '2',
      ...newP256Key,
    ];
    await run('openssl', [
      ...common,
      ...['-subj', '/CN=runtime-loader test CA', '-extensions', 'ca_ext'],
      ...['-keyout', path('ca.key'), '-out', path('ca.crt')],
    ]);
    await run('openssl', [
      ...common,
      ...['-subj', '/CN=localhost', '-extensions', 'server_ext'],
      ...['-CA', path('ca.crt'), '-CAkey', path('ca.key')],
      ...['-keyout', path('server.key'), '-out', path('server.crt')],
    ]);
    const [caCert, key, cert] = await Promise.all([
      readFile(path('ca.crt'), 'utf8'),
      readFile(path('server.key'), 'utf8'),
      readFile(path('server.crt'), 'utf8'),
    ]);
    return {
      dir: temp.path,
      caCertPath: path('ca.crt'),
      caCert,
      key,
      cert,
      cleanup: temp.cleanup,
      [Symbol.asyncDispose]: temp.cleanup,
    };
  } catch (error) {
    await temp.cleanup();
    throw error;
  }
}
