// ARTIFACT_URL_FILE (issue 14, point 4): the built loader reads its URL from a
// file, as from a Secret volume, and every bad file is a configuration error
// (exit 2) that names the variable and never the file's contents.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, finalEvent } from '../helpers/events.ts';
import {
  type ArtifactServer,
  fakeSignature,
  startArtifactServer,
} from '../helpers/fault-server.ts';
import { fastLoaderEnv } from '../helpers/loader-env.ts';
import { assertNoSecret, type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

const nobody = 65534;
const inFileSecret = 'FILESECRET';
let server: ArtifactServer;
let tmp: TempDir;
let caseNumber = 0;

before(async () => {
  server = await startArtifactServer();
  server.setArtifact(randomBytesBuffer(32 * 1024 + 5));
  tmp = await makeTempDir('url-file-');
});
after(async () => {
  await server.close();
  await tmp.cleanup();
});

interface Case {
  readonly run: LoaderRun;
  readonly target: string;
  readonly terminationLog: string;
}

/** Runs the loader with ARTIFACT_URL unset, unless `overrides` sets it. */
async function load(
  overrides: Record<string, string | undefined>,
  options: { args?: string[]; uid?: number; gid?: number; timeoutMs?: number } = {},
): Promise<Case> {
  caseNumber += 1;
  const dir = join(tmp.path, `case-${caseNumber}`);
  await mkdir(dir, { mode: 0o777 });
  await chmod(dir, 0o777);
  const target = join(dir, 'app.jar');
  const terminationLog = join(dir, 'termination-log');
  await writeFile(terminationLog, '', { mode: 0o666 });
  await chmod(terminationLog, 0o666);
  const run = await runLoader({
    env: fastLoaderEnv(
      { server, target, terminationLog },
      { ARTIFACT_URL: undefined, ...overrides },
    ),
    ...options,
  });
  for (const output of [run, { stdout: await readFile(terminationLog, 'utf8'), stderr: '' }]) {
    assertNoSecret(output, [fakeSignature, inFileSecret]);
  }
  return { run, target, terminationLog };
}

/** A file holding `contents`, readable by anyone. */
async function urlFile(contents: string | Buffer, mode = 0o444): Promise<string> {
  const path = join(tmp.path, `url-${caseNumber + 1}-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, contents);
  await chmod(path, mode);
  return path;
}

function assertConfigError({ run }: Case, ...patterns: RegExp[]): void {
  assert.equal(run.code, 2, describeRun(run));
  const failed = finalEvent(run);
  assert.equal(failed.code, 'ERR_CONFIG');
  for (const pattern of patterns) assert.match(String(failed.msg), pattern, describeRun(run));
}

describe('ARTIFACT_URL_FILE', () => {
  it('downloads from the URL in the file; a trailing newline is trimmed; nothing of it is logged', async () => {
    const path = await urlFile(`${server.url()}\n`);
    const result = await load({ ARTIFACT_URL_FILE: path });
    assert.equal(result.run.code, 0, describeRun(result.run));
    assert.deepEqual(await readFile(result.target), server.artifact);
    assert.equal(server.requests.at(-1)?.path.includes(fakeSignature), true, 'the query was sent');
  });

  it('is mirrored by --url-file, CRLF and spaces at the end trimmed', async () => {
    const path = await urlFile(`${server.url()}  \r\n`);
    const result = await load({}, { args: ['--url-file', path] });
    assert.equal(result.run.code, 0, describeRun(result.run));
  });

  it('a missing file is exit 2 naming ARTIFACT_URL_FILE and the path', async () => {
    const path = join(tmp.path, 'no-such-url-file');
    const result = await load({ ARTIFACT_URL_FILE: path });
    assertConfigError(result, /ARTIFACT_URL_FILE/, /no such file/, new RegExp(path));
    assert.match(
      await readFile(result.terminationLog, 'utf8'),
      /exit 2 ERR_CONFIG: .*ARTIFACT_URL_FILE/,
    );
  });

  it('an empty (or blank) file is exit 2', async () => {
    assertConfigError(
      await load({ ARTIFACT_URL_FILE: await urlFile('') }),
      /ARTIFACT_URL_FILE/,
      /is empty/,
    );
    assertConfigError(await load({ ARTIFACT_URL_FILE: await urlFile(' \n\n') }), /is empty/);
  });

  it('a file the loader cannot read is exit 2 that says how to mount it', async () => {
    const path = await urlFile(`${server.url()}\n`, 0o400);
    // As root nothing is unreadable: run as nobody, as the image runs as a non-root UID.
    const result = await load({ ARTIFACT_URL_FILE: path }, { uid: nobody, gid: nobody });
    assertConfigError(result, /ARTIFACT_URL_FILE/, /permission denied/, /defaultMode/);
  });

  it('a folder is exit 2', async () => {
    assertConfigError(
      await load({ ARTIFACT_URL_FILE: tmp.path }),
      /ARTIFACT_URL_FILE/,
      /is a folder; expected a regular file holding the signed URL/,
    );
  });

  it('a FIFO is exit 2 at once, not a wait for a writer that never comes', async () => {
    const fifo = join(tmp.path, 'url.fifo');
    execFileSync('mkfifo', [fifo]);
    const result = await load({ ARTIFACT_URL_FILE: fifo }, { timeoutMs: 10_000 });
    const expected = new RegExp(
      `ARTIFACT_URL_FILE \\(or --url-file\\): ${fifo} is a FIFO; expected a regular file holding the signed URL`,
    );
    assertConfigError(result, expected);
    assert.match(await readFile(result.terminationLog, 'utf8'), expected);
  });

  it('a device is exit 2 without a byte read: /dev/zero would never end', async () => {
    // A short limit: read as a file, /dev/zero fills memory at over 1 GB/s.
    for (const device of ['/dev/zero', '/dev/null']) {
      assertConfigError(
        await load({ ARTIFACT_URL_FILE: device }, { timeoutMs: 5_000 }),
        new RegExp(
          `ARTIFACT_URL_FILE \\(or --url-file\\): ${device} is a device; expected a regular file`,
        ),
      );
    }
  });

  it('a file over 64 KiB is exit 2 naming its size, and none of it is shown', async () => {
    const contents = `${server.url()}&pad=${inFileSecret.repeat(7000)}`;
    assert.ok(contents.length > 64 * 1024);
    assertConfigError(
      await load({ ARTIFACT_URL_FILE: await urlFile(contents) }),
      /ARTIFACT_URL_FILE/,
      new RegExp(
        `is ${contents.length} bytes, too large to hold a signed URL; expected at most 65536 bytes`,
      ),
    );
  });

  it('a UTF-8 byte order mark at the start is dropped', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const path = await urlFile(Buffer.concat([bom, Buffer.from(`${server.url()}\n`)]));
    const result = await load({ ARTIFACT_URL_FILE: path });
    assert.equal(result.run.code, 0, describeRun(result.run));
    assert.deepEqual(await readFile(result.target), server.artifact);
  });

  it('contents that are not one http(s) URL are exit 2, and never shown', async () => {
    for (const contents of [
      `not a url ${inFileSecret}`,
      `ftp://host/app.jar?sig=${inFileSecret}`,
      `${server.url()}\nhttps://other.example/?sig=${inFileSecret}`,
    ]) {
      const result = await load({ ARTIFACT_URL_FILE: await urlFile(contents) });
      assertConfigError(result, /ARTIFACT_URL_FILE/);
    }
  });

  it('setting both ARTIFACT_URL and ARTIFACT_URL_FILE (or its flag) is exit 2', async () => {
    const path = await urlFile(server.url());
    assertConfigError(
      await load({ ARTIFACT_URL: server.url(), ARTIFACT_URL_FILE: path }),
      /ARTIFACT_URL \(or --url\) and ARTIFACT_URL_FILE \(or --url-file\) are both set/,
    );
    assertConfigError(
      await load({ ARTIFACT_URL: server.url() }, { args: [`--url-file=${path}`] }),
      /both set/,
    );
  });

  it('neither set: exit 2 naming both', async () => {
    assertConfigError(
      await load({}),
      /ARTIFACT_URL \(or --url\) or ARTIFACT_URL_FILE \(or --url-file\) is required/,
    );
  });
});
