// Issue 11, "Secrets and logs": each failure observed against the built loader, replayed
// against a loopback server. Logs must stay valid JSON with every number, boolean, scheme
// and host intact, however short and common the query's values are; and no form of a
// secret may reach stdout, stderr or the termination log, whatever the server echoes.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { describeRun, finalEvent, firstEventNamed } from '../helpers/events.ts';
import { type ArtifactServer, startArtifactServer } from '../helpers/fault-server.ts';
import { fastLoaderEnv } from '../helpers/loader-env.ts';
import { type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';
import { makeTempDir, randomBytesBuffer } from '../helpers/tmp.ts';

interface Outcome {
  run: LoaderRun;
  terminationLog: string;
  context: string;
}

/** Runs the loader on `url`; `env` overrides fastLoaderEnv. */
async function runOn(
  server: ArtifactServer,
  url: string,
  env: Record<string, string> = {},
): Promise<Outcome> {
  const dir = await makeTempDir('runtime-loader-secrets-');
  try {
    const terminationLogPath = join(dir.path, 'termination-log');
    await writeFile(terminationLogPath, '');
    const run = await runLoader({
      env: fastLoaderEnv(
        { server, target: join(dir.path, 'out', 'app.jar'), terminationLog: terminationLogPath },
        { ARTIFACT_URL: url, ...env },
      ),
    });
    const terminationLog = await readFile(terminationLogPath, 'utf8');
    return {
      run,
      terminationLog,
      context: `\n${describeRun(run)}\ntermination: ${terminationLog}`,
    };
  } finally {
    await dir.cleanup();
  }
}

/** Every stdout line is one JSON object. */
function assertAllJson({ run, context }: Outcome): void {
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  assert.ok(lines.length > 0, `no output${context}`);
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}${context}`);
  }
  assert.equal(run.events.length, lines.length, context);
}

function assertNowhere(outcome: Outcome, texts: string[]): void {
  for (const text of texts) {
    for (const [name, output] of [
      ['stdout', outcome.run.stdout],
      ['stderr', outcome.run.stderr],
      ['termination log', outcome.terminationLog],
    ]) {
      assert.ok(!output?.includes(text), `${name} holds ${JSON.stringify(text)}${outcome.context}`);
    }
  }
}

const signature = 'a3f1c9e07b2d4c5e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f00112233445566';

describe('short, common query values never damage a log line', () => {
  let server: ArtifactServer;
  before(async () => {
    server = await startArtifactServer();
  });
  after(() => server.close());

  test('X-Amz-SignedHeaders=host on a localhost URL leaves the host name whole', async () => {
    const port = new URL(server.origin).port;
    const url = `http://localhost:${port}/artifacts/app.jar?X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`;
    const outcome = await runOn(server, url);
    assert.equal(outcome.run.code, 0, outcome.context);
    assertAllJson(outcome);
    const start = firstEventNamed(outcome.run, 'start');
    assert.equal(start.url, `http://localhost:${port}/artifacts/app.jar`, outcome.context);
    assert.match(String(start.msg), new RegExp(`fetching http://localhost:${port}/artifacts/app`));
    assertNowhere(outcome, [signature, '[redacted]']);
  });

  test('?download=true leaves "verifyJar": true a boolean', async () => {
    server.setArtifact(await buildJar());
    try {
      const outcome = await runOn(server, `${server.origin}/artifacts/app.jar?download=true`, {
        LOADER_VERIFY_JAR: 'true',
      });
      assert.equal(outcome.run.code, 0, outcome.context);
      assertAllJson(outcome);
      assert.equal(firstEventNamed(outcome.run, 'start').verifyJar, true, outcome.context);
    } finally {
      server.setArtifact(randomBytesBuffer(256 * 1024));
    }
  });

  test('X-Amz-Expires=3600 and 1,360,000 bytes: every line JSON, every number intact', async () => {
    const artifact = randomBytesBuffer(1_360_000);
    server.setArtifact(artifact);
    try {
      const url = `${server.origin}/artifacts/app.jar?X-Amz-Expires=3600&X-Amz-Signature=${signature}`;
      // A progress event every tenth prints byte counts all through the run.
      const outcome = await runOn(server, url);
      assert.equal(outcome.run.code, 0, outcome.context);
      assertAllJson(outcome);
      assert.equal(firstEventNamed(outcome.run, 'start').expectedBytes, 1_360_000);
      const done = finalEvent(outcome.run);
      assert.equal(done.bytes, 1_360_000, outcome.context);
      assert.match(outcome.terminationLog, /bytes=1360000$/, outcome.context);
      assert.ok(!outcome.run.stdout.includes('[redacted]'), outcome.context);
    } finally {
      server.setArtifact(randomBytesBuffer(256 * 1024));
    }
  });
});

describe('an Azure SAS with spr=https', () => {
  let pki: TestPki;
  let server: ArtifactServer;
  before(async () => {
    pki = await makeTestPki();
    server = await startArtifactServer({ tls: pki });
  });
  after(async () => {
    await server.close();
    await pki.cleanup();
  });

  test('leaves the https scheme whole and hides sig', async () => {
    const sig = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg%3D%3D';
    const url = `${server.origin}/artifacts/app.jar?sv=2022-11-02&spr=https&sr=b&sp=r&se=2026-12-01T00%3A00%3A00Z&sig=${sig}`;
    const outcome = await runOn(server, url, { NODE_EXTRA_CA_CERTS: pki.caCertPath });
    assert.equal(outcome.run.code, 0, outcome.context);
    assertAllJson(outcome);
    assert.equal(
      firstEventNamed(outcome.run, 'start').url,
      `${server.origin}/artifacts/app.jar`,
      outcome.context,
    );
    assertNowhere(outcome, [sig, decodeURIComponent(sig), '[redacted]']);
  });
});

describe('what a server echoes never leaks', () => {
  let server: ArtifactServer;
  before(async () => {
    server = await startArtifactServer();
  });
  after(() => server.close());

  test('a token echoed raw, as sent on the wire, in a 403 text/plain body', async () => {
    const token = 'AbC+dEf/9xQ=';
    server.route('/raw-echo.jar', (_req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`invalid token ${token}\n`);
    });
    const outcome = await runOn(server, `${server.origin}/raw-echo.jar?token=${token}`);
    assert.equal(outcome.run.code, 3, outcome.context);
    assertAllJson(outcome);
    assert.match(
      String(finalEvent(outcome.run).msg),
      /invalid token \[redacted\]/,
      outcome.context,
    );
    assertNowhere(outcome, [token, 'AbC dEf/9xQ=', 'AbC%2BdEf%2F9xQ%3D']);
  });

  const headerToken = 'Zx9Kq2Lm7Np4Rs8T';
  const headerEchoes: Record<string, (res: ServerResponse) => void> = {
    'a redirect Location whose scheme is the token': (res) => {
      res.writeHead(302, { location: `${headerToken}://elsewhere/app.jar?sig=${headerToken}` });
      res.end();
    },
    'a Content-Encoding that echoes the token': (res) => {
      res.writeHead(200, { 'content-encoding': `gzip, token=${headerToken}` });
      res.end('not the artifact');
    },
    'a reason phrase that echoes the token': (res) => {
      res.writeHead(403, `Forbidden for token ${headerToken} (expired)`);
      res.end();
    },
  };
  for (const [name, reply] of Object.entries(headerEchoes)) {
    test(`${name} is never printed`, async () => {
      const path = `/header-echo-${name.length}.jar`;
      server.route(path, (_req, res) => reply(res));
      const outcome = await runOn(server, `${server.origin}${path}?token=${headerToken}`);
      assert.ok(outcome.run.code === 3 || outcome.run.code === 4, outcome.context);
      assertAllJson(outcome);
      assertNowhere(outcome, [headerToken, headerToken.toLowerCase()]);
    });
  }

  // On main the reason was cut at 157 characters before the redactor saw it: the signature,
  // straddling the cut, was no longer whole, and its first 24 characters were printed.
  const signatureAt = 157 - 24;
  const echoes: Record<string, (requestTarget: string) => string> = {
    'the URL echoed': (target) => `GET ${target} denied`,
    'the signature echoed bare': () => `provided signature ${signature} does not match`,
  };
  for (const [name, echo] of Object.entries(echoes)) {
    test(`a reason over 160 characters, ${name}, is redacted before it is cut`, async () => {
      const path = `/long-echo-${name.length}.jar`;
      server.route(path, (req, res) => {
        const text = echo(req.url ?? '');
        const pad = 'x'.repeat(signatureAt - text.indexOf(signature) - 1);
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`${pad} ${text} ${'and more text after it '.repeat(3)}\n`);
      });
      const outcome = await runOn(
        server,
        `${server.origin}${path}?X-Amz-Expires=300&X-Amz-Signature=${signature}`,
      );
      assert.equal(outcome.run.code, 3, outcome.context);
      assertAllJson(outcome);
      // No 8 characters in a row of the signature, anywhere.
      const pieces = Array.from({ length: signature.length - 7 }, (_, i) =>
        signature.slice(i, i + 8),
      );
      assertNowhere(outcome, pieces);
      assert.match(String(finalEvent(outcome.run).serverReason), /^x+ /, outcome.context);
    });
  }
});
