// Property test (issue 11) against the built loader: random signed URLs (query values of
// short words, numbers, tokens with `+ / = %`, sometimes a password), a loopback server
// that redirects to targets with new random queries (Location) and echoes what it got in
// its error answers (403 final, 503 retried; text/plain, XML, JSON; the reason phrase),
// then maybe serves the artifact. Several echoes per run. Every stdout line must be JSON
// with the loader's own fields intact, and no form of a secret may be in stdout, stderr or
// the termination log. The same for the publisher's signature URL (ARTIFACT_SIGNATURE_URL),
// fetched before the artifact with the same redirects, retries and redaction (issue 22).
// test/log/redact-property.test.ts runs the in-process part in bulk.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { describeRun, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { type ArtifactServer, startArtifactServer } from '../helpers/fault-server.ts';
import { fastLoaderEnv } from '../helpers/loader-env.ts';
import { runLoader } from '../helpers/run-loader.ts';
import {
  assertNoSecretIn,
  type Echo,
  echoArbitrary,
  type QueryPair,
  queryArbitrary,
  queryString,
  secretsOf,
  stringsIn,
  tokenArbitrary,
} from '../helpers/secret-urls.ts';
import {
  type MinisignKeyPair,
  minisignKeyPair,
  minisignSign,
  writeBytes,
} from '../helpers/signers.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

// REDACTION_E2E_RUNS=300 for a longer soak; PROPERTY_SEED (and PROPERTY_PATH) replay a failure.
const numRuns = Number(process.env.REDACTION_E2E_RUNS ?? 40);
const replay = {
  ...(process.env.PROPERTY_SEED === undefined ? {} : { seed: Number(process.env.PROPERTY_SEED) }),
  ...(process.env.PROPERTY_PATH === undefined ? {} : { path: process.env.PROPERTY_PATH }),
};
const maxAttempts = 4;
const artifactPath = '/echo/app.jar';
const signaturePath = '/echo/app.jar.minisig';

type Answer =
  | {
      kind: 'echo';
      status: 403 | 503;
      type: 'text/plain' | 'application/xml' | 'application/json';
      echo: Echo;
      inReasonPhrase: boolean;
    }
  /** A redirect to the artifact path with this query, which may carry the request's own. */
  | { kind: 'redirect'; pairs: QueryPair[]; keepQuery: boolean }
  | { kind: 'ok' };

const answerArbitrary: fc.Arbitrary<Answer> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('echo' as const),
      status: fc.constantFrom(403 as const, 503 as const),
      type: fc.constantFrom(
        'text/plain' as const,
        'application/xml' as const,
        'application/json' as const,
      ),
      echo: echoArbitrary,
      inReasonPhrase: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('redirect' as const),
      pairs: queryArbitrary,
      keepQuery: fc.boolean(),
    }),
  },
);

interface Case {
  pairs: QueryPair[];
  password: string | undefined;
  answers: Answer[];
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  pairs: queryArbitrary,
  password: fc.option(tokenArbitrary, { nil: undefined }),
  answers: fc.array(answerArbitrary, { minLength: 1, maxLength: 5 }),
});

let server: ArtifactServer;
let queue: Answer[] = [];
/** The queries of the redirects sent in this run: secrets the loader was given. */
let redirected: QueryPair[] = [];

/** The answers of `path`, in the order queued, then `ok()`: the artifact, or its signature. */
const answerer =
  (path: string, ok: () => Buffer) => (req: IncomingMessage, res: ServerResponse) => {
    const next = queue.shift() ?? { kind: 'ok' };
    const target = req.url ?? '';
    if (next.kind === 'ok') {
      const body = ok();
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    } else if (next.kind === 'redirect') {
      const kept = next.keepQuery ? `${target.slice(target.indexOf('?') + 1)}&` : '';
      redirected.push(...next.pairs);
      res.writeHead(302, { location: `${path}?${kept}${queryString(next.pairs)}` });
      res.end();
    } else {
      const text = next.echo(target, req.headers.authorization);
      const body =
        next.type === 'application/xml'
          ? `<Error><Code>AccessDenied</Code><Message>${text.replaceAll('&', '&amp;')}</Message></Error>`
          : next.type === 'application/json'
            ? JSON.stringify({ message: text })
            : `${text}\n`;
      res.writeHead(next.status, next.inReasonPhrase ? text : 'Denied', {
        'content-type': next.type,
      });
      res.end(body);
    }
  };

let keys: TempDir;
let publisher: MinisignKeyPair;
let signature: Buffer;

before(async () => {
  server = await startArtifactServer();
  server.setArtifact(randomBytesBuffer(3333));
  server.route(
    artifactPath,
    answerer(artifactPath, () => server.artifact),
  );
  keys = await makeTempDir('runtime-loader-redaction-keys-');
  publisher = await minisignKeyPair(keys.path, 'publisher');
  signature = await minisignSign(
    publisher,
    await writeBytes(keys.path, 'app.jar', server.artifact),
  );
  server.route(
    signaturePath,
    answerer(signaturePath, () => signature),
  );
});
after(async () => {
  await server.close();
  await keys.cleanup();
});

test(
  'the built loader: no secret in any output, every stdout line JSON',
  {
    timeout: 300_000,
  },
  (t) => checkCases(t, 'artifact', numRuns),
);

test(
  'the built loader: no secret of the signature URL in any output, every stdout line JSON',
  {
    timeout: 300_000,
  },
  (t) => checkCases(t, 'signature', Math.ceil(numRuns / 2)),
);

/** `runs` random cases, the exit codes they ended with told as a diagnostic. */
async function checkCases(
  t: { diagnostic: (text: string) => void },
  of: 'artifact' | 'signature',
  runs: number,
): Promise<void> {
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (input) => {
      const exitCode = await checkCase(input, of);
      outcomes.set(`exit ${exitCode}`, (outcomes.get(`exit ${exitCode}`) ?? 0) + 1);
    }),
    { numRuns: runs, ...replay },
  );
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
}

/** Runs the loader with the case's URL as the artifact's, or as the signature's (the artifact's then plain). */
async function checkCase(input: Case, of: 'artifact' | 'signature'): Promise<number | null> {
  const port = new URL(server.origin).port;
  const userinfo =
    input.password === undefined ? '' : `deploy:${encodeURIComponent(input.password)}@`;
  const path = of === 'artifact' ? artifactPath : signaturePath;
  const url = `http://${userinfo}127.0.0.1:${port}${path}?${queryString(input.pairs)}`;
  const shown = `http://127.0.0.1:${port}${path}`;
  const urls =
    of === 'artifact'
      ? { ARTIFACT_URL: url }
      : {
          ARTIFACT_URL: `${server.origin}/plain/app.jar`,
          ARTIFACT_SIGNATURE_URL: url,
          ARTIFACT_PUBLIC_KEY: publisher.publicKeyText,
        };
  queue = [...input.answers];
  redirected = [];
  const dir = await makeTempDir('runtime-loader-redaction-');
  try {
    const terminationLogPath = join(dir.path, 'termination-log');
    await writeFile(terminationLogPath, '');
    const run = await runLoader({
      env: fastLoaderEnv(
        { server, target: join(dir.path, 'out', 'app.jar'), terminationLog: terminationLogPath },
        {
          ...urls,
          LOADER_MAX_ATTEMPTS: String(maxAttempts),
          LOADER_BACKOFF_MAX_SECONDS: '0.05',
        },
      ),
    });
    const terminationLog = await readFile(terminationLogPath, 'utf8');
    const context = `\n${describeRun(run)}\ntermination: ${terminationLog}`;

    const lines = run.stdout.split('\n').filter((line) => line !== '');
    assert.equal(run.events.length, lines.length, `every stdout line is JSON${context}`);
    const start = firstEventNamed(run, 'start');
    assert.equal(of === 'artifact' ? start.url : start.signatureUrl, shown, context);
    assert.equal(start.expectedBytes, 3333, context);
    assert.equal(start.verifyJar, false, context);
    assert.equal(finalEvent(run).exitCode, run.code, context);
    if (of === 'signature' && run.code === 0)
      assert.equal(finalEvent(run).signedBy, publisher.id, context);

    const secrets = secretsOf([...input.pairs, ...redirected]);
    if (input.password !== undefined) {
      secrets.push(encodeURIComponent(input.password));
      secrets.push(Buffer.from(`deploy:${input.password}`).toString('base64'));
    }
    for (const event of run.events) {
      for (const text of stringsIn(event))
        assertNoSecretIn(text, secrets, shown, `stdout${context}`);
    }
    assertNoSecretIn(run.stderr, secrets, shown, `stderr${context}`);
    assertNoSecretIn(terminationLog, secrets, shown, `termination log${context}`);
    return run.code;
  } finally {
    await dir.cleanup();
  }
}
