// Property test (issue 21) of redaction for oci:// pulls, like redaction-property.test.ts does
// for URLs: random registry passwords and tokens, a loopback registry that answers with Basic or
// Bearer challenges, a token service that hands out a random token, and both echoing what they
// got (the Authorization header, the decoded password, the token) in error JSON, reason phrases
// and WWW-Authenticate, refused (401/403/404) or retried (429/503) before it maybe serves. Every
// stdout line must be JSON, and no form of a secret may be in stdout, stderr or the termination
// log. The run is the built loader, through a config.json as a mounted Secret holds it.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { describeRun, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { type LoopbackServer, serve } from '../helpers/loopback-server.ts';
import { fastOciEnv } from '../helpers/oci-scenario.ts';
import { orasArtifact } from '../helpers/registry/oras.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { assertNoSecretIn, stringsIn, tokenArbitrary } from '../helpers/secret-urls.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

// OCI_REDACTION_E2E_RUNS=300 for a longer soak; PROPERTY_SEED (and PROPERTY_PATH) replay a failure.
const numRuns = Number(process.env.OCI_REDACTION_E2E_RUNS ?? 25);
const replay = {
  ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }),
  ...(process.env.PROPERTY_PATH === undefined ? {} : { path: process.env.PROPERTY_PATH }),
};

const blob = randomBytesBuffer(2222);
const artifact = orasArtifact(blob);
const layerDigest = artifact.blobs[1]?.digest ?? '';
const username = 'robot';

type EchoShape = 'authorization' | 'credential' | 'decoded' | 'password' | 'token';

type Answer =
  | {
      kind: 'echo';
      status: 401 | 403 | 404 | 429 | 503;
      echo: EchoShape;
      inReasonPhrase: boolean;
      inChallenge: boolean;
      paddingChars: number;
    }
  | { kind: 'ok' };

const answerArbitrary: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('echo' as const),
      status: fc.constantFrom(401 as const, 403 as const, 404 as const, 429 as const, 503 as const),
      echo: fc.constantFrom<EchoShape>(
        'authorization',
        'credential',
        'decoded',
        'password',
        'token',
      ),
      inReasonPhrase: fc.boolean(),
      inChallenge: fc.boolean(),
      paddingChars: fc.integer({ min: 0, max: 200 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'ok' as const }) },
);

interface Case {
  scheme: 'basic' | 'bearer';
  password: string;
  token: string;
  /** The auth file's form: `auth` (base64 of user:password) or the two fields. */
  authField: boolean;
  answers: Answer[];
  /** The token service echoes the Basic credentials in a refusal first. */
  tokenEchoes: boolean;
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  scheme: fc.constantFrom('basic' as const, 'bearer' as const),
  password: tokenArbitrary,
  token: tokenArbitrary.map((token) => `tok.${token}`),
  authField: fc.boolean(),
  answers: fc.array(answerArbitrary, { minLength: 1, maxLength: 5 }),
  tokenEchoes: fc.boolean(),
});

let server: LoopbackServer;
let current: Case | undefined;
let queue: Answer[] = [];
let tokenEchoed = false;
/** The token was handed to the loader: from then on it is a secret the loader knows. */
let tokenIssued = false;

function basicOf(password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}

function echoText(shape: EchoShape, authorization: string | undefined, input: Case): string {
  const credential = authorization?.split(' ')[1] ?? 'none';
  const decoded =
    authorization?.startsWith('Basic ') === true
      ? Buffer.from(credential, 'base64').toString()
      : credential;
  return {
    authorization: `credentials ${authorization ?? 'none'} refused`,
    credential: `invalid credential ${credential}`,
    decoded: `user:password ${decoded} not known`,
    password: `password ${input.password} is wrong`,
    // A token it has issued: one it has not is nothing the loader could know to hide.
    token: `token ${tokenIssued ? input.token : 'unknown'} expired`,
  }[shape];
}

function challenge(input: Case, extra = ''): string {
  return input.scheme === 'basic'
    ? 'Basic realm="registry"'
    : `Bearer realm="${server.origin}/token",service="registry.test",scope="repository:team/app:pull"${extra}`;
}

function authorized(req: IncomingMessage, input: Case): boolean {
  const expected =
    input.scheme === 'basic' ? `Basic ${basicOf(input.password)}` : `Bearer ${input.token}`;
  return req.headers.authorization === expected;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const input = current;
  if (input === undefined) return void res.writeHead(500).end();
  const url = new URL(req.url ?? '/', server.origin);
  if (url.pathname === '/token') {
    if (input.tokenEchoes && !tokenEchoed) {
      tokenEchoed = true;
      const text = echoText('decoded', req.headers.authorization, input);
      res.writeHead(503, 'Try later', { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: text }] }));
    }
    const ok = req.headers.authorization === `Basic ${basicOf(input.password)}`;
    tokenIssued ||= ok;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    return void res.end(ok ? JSON.stringify({ token: input.token, expires_in: 300 }) : '{}');
  }
  const next = queue.shift() ?? { kind: 'ok' };
  if (next.kind === 'echo') {
    const text = `${'denied '.repeat(50).slice(0, next.paddingChars)}${echoText(next.echo, req.headers.authorization, input)}`;
    const code = {
      401: 'UNAUTHORIZED',
      403: 'DENIED',
      404: 'MANIFEST_UNKNOWN',
      429: 'TOOMANYREQUESTS',
      503: 'UNAVAILABLE',
    }[next.status];
    res.writeHead(next.status, next.inReasonPhrase ? text.replace(/[^\t\x20-\x7e]/g, '?') : 'No', {
      'content-type': 'application/json',
      'retry-after': '0',
      ...(next.status === 401
        ? {
            'www-authenticate': challenge(
              input,
              next.inChallenge ? `,error="${text.replace(/["\\]/g, '')}"` : '',
            ),
          }
        : {}),
    });
    return void res.end(JSON.stringify({ errors: [{ code, message: text, detail: text }] }));
  }
  if (!authorized(req, input)) {
    res.writeHead(401, {
      'www-authenticate': challenge(input),
      'content-type': 'application/json',
    });
    return void res.end(
      JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
    );
  }
  if (url.pathname === '/v2/team/app/manifests/1.0') {
    res.writeHead(200, { 'content-type': artifact.mediaType, 'content-length': artifact.size });
    return void res.end(req.method === 'HEAD' ? undefined : artifact.manifest);
  }
  if (url.pathname === `/v2/team/app/blobs/${layerDigest}`) {
    res.writeHead(200, { 'content-length': blob.length, etag: `"${layerDigest}"` });
    return void res.end(blob);
  }
  res.writeHead(404).end();
}

before(async () => {
  server = await serve(handle);
});
after(() => server[Symbol.asyncDispose]());

test('the built loader pulling oci://: no registry secret in any output, every stdout line JSON', {
  timeout: 300_000,
}, async (t) => {
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (input) => {
      const exitCode = await checkCase(input);
      outcomes.set(`exit ${exitCode}`, (outcomes.get(`exit ${exitCode}`) ?? 0) + 1);
    }),
    { numRuns, ...replay },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
});

async function checkCase(input: Case): Promise<number | null> {
  current = input;
  queue = [...input.answers];
  tokenEchoed = false;
  tokenIssued = false;
  const host = new URL(server.origin).host;
  const reference = `oci://${host}/team/app:1.0`;
  const dir = await makeTempDir('runtime-loader-oci-redaction-');
  try {
    const authFile = join(dir.path, 'config.json');
    const entry = input.authField
      ? { auth: basicOf(input.password) }
      : { username, password: input.password };
    await writeFile(authFile, JSON.stringify({ auths: { [host]: entry } }));
    const terminationLogPath = join(dir.path, 'termination-log');
    await writeFile(terminationLogPath, '');
    const run = await runLoader({
      env: {
        ...fastOciEnv,
        ARTIFACT_URL: reference,
        ARTIFACT_PATH: join(dir.path, 'out', 'app.jar'),
        LOADER_TERMINATION_LOG: terminationLogPath,
        LOADER_REGISTRY_PLAIN_HTTP: host,
        LOADER_REGISTRY_AUTH_FILE: authFile,
        LOADER_VERIFY_JAR: 'false',
        LOADER_MAX_ATTEMPTS: '4',
        LOADER_BACKOFF_MAX_SECONDS: '0.05',
      },
    });
    const terminationLog = await readFile(terminationLogPath, 'utf8');
    const context = `\n${describeRun(run)}\ntermination: ${terminationLog}`;
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    assert.equal(run.events.length, lines.length, `every stdout line is JSON${context}`);
    assert.equal(firstEventNamed(run, 'start').reference, reference, context);
    assert.equal(finalEvent(run).exitCode, run.code, context);
    // The token is a secret of this run only once the loader was given it (a server that
    // echoes a token it never issued says nothing the loader could know to hide).
    const secrets = [
      input.password,
      basicOf(input.password),
      `${username}:${input.password}`,
      ...(tokenIssued ? [input.token] : []),
    ];
    for (const event of run.events) {
      for (const text of stringsIn(event))
        assertNoSecretIn(text, secrets, reference, `stdout${context}`);
    }
    assertNoSecretIn(run.stderr, secrets, reference, `stderr${context}`);
    assertNoSecretIn(terminationLog, secrets, reference, `termination log${context}`);
    return run.code;
  } finally {
    await dir.cleanup();
  }
}
