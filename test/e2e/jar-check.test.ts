// LOADER_VERIFY_JAR=auto (the default), end to end: arbitrary bytes of the right
// size pass with a `not-a-jar` warning (a consumer's contract-test fixture), while
// anything that claims to be a zip must be a sound one, so damaged JARs are still
// refused. The built loader runs against a server on loopback with default timeouts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { buildJar } from '../../scripts/jar.ts';
import { eventsNamed, firstEventNamed, lastEvent } from '../helpers/events.ts';
import { type ArtifactServer, startArtifactServer } from '../helpers/fault-server.ts';
import { loaderEnv } from '../helpers/loader-env.ts';
import { type LoaderRun, runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, sha256Hex, type TempDir } from '../helpers/tmp.ts';

let jar: Buffer;

before(async () => {
  jar = await buildJar({ payloadBytes: 16 * 1024 });
});

/** 1 KiB of random bytes that by construction carry no zip signature anywhere. */
function arbitraryBytes(length: number): Buffer {
  const bytes = randomBytes(length);
  for (let at = bytes.indexOf('PK'); at !== -1; at = bytes.indexOf('PK', at)) bytes[at] = 0x51;
  return bytes;
}

describe('LOADER_VERIFY_JAR=auto (the default), end to end', () => {
  let server: ArtifactServer;
  let dir: TempDir;
  let target: string;

  beforeEach(async () => {
    server = await startArtifactServer();
    dir = await makeTempDir('runtime-loader-jar-check-');
    target = join(dir.path, 'app.jar');
  });

  afterEach(async () => {
    await server.close();
    await dir.cleanup();
  });

  /** Only the contract variables and JSON logs: every other setting is its default. */
  async function load(bytes: Buffer, env: Record<string, string> = {}): Promise<LoaderRun> {
    server.setArtifact(bytes);
    const terminationLog = join(dir.path, 'termination-log');
    await writeFile(terminationLog, '');
    const run = await runLoader({
      timeoutMs: 30_000,
      env: loaderEnv({ server, target, terminationLog }, { LOADER_LOG_FORMAT: 'json', ...env }),
    });
    return run;
  }

  it('1 KiB of arbitrary bytes with the right size: exit 0, published, one not-a-jar warning', async () => {
    const bytes = arbitraryBytes(1024);
    const run = await load(bytes);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(firstEventNamed(run, 'start').verifyJar, 'auto');
    const warnings = eventsNamed(run, 'not-a-jar');
    assert.equal(warnings.length, 1, run.stdout);
    assert.equal(warnings[0]?.level, 'warn');
    assert.equal(warnings[0]?.sha256, sha256Hex(bytes));
    assert.match(String(warnings[0]?.msg), /LOADER_VERIFY_JAR=true/);
    assert.deepEqual(await readFile(target), bytes);
  });

  it('a sound JAR: exit 0 and no warning', async () => {
    const run = await load(jar);
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(eventsNamed(run, 'not-a-jar'), []);
  });

  it('the same arbitrary bytes with LOADER_VERIFY_JAR=true: exit 6, nothing published', async () => {
    const run = await load(arbitraryBytes(1024), { LOADER_VERIFY_JAR: 'true' });
    assert.equal(run.code, 6, run.stdout);
    assert.match(String(lastEvent(run).msg), /^not a zip archive/);
    await assert.rejects(readFile(target), { code: 'ENOENT' });
  });

  const damaged: [string, () => Buffer][] = [
    ['a JAR truncated at the end (starts with a local header)', () => jar.subarray(0, 4000)],
    [
      'a JAR whose first bytes were overwritten (still ends with its end record)',
      () => Buffer.concat([Buffer.from('<html>error</html>'), jar.subarray(18)]),
    ],
    [
      'a JAR with a launch script prepended and offsets not adjusted',
      () => Buffer.concat([Buffer.from('#!/bin/sh\nexec java -jar "$0" "$@"\n'), jar]),
    ],
    [
      'an empty archive with junk after its end record',
      () => {
        const end = Buffer.alloc(22);
        end.writeUInt32LE(0x06054b50, 0);
        return Buffer.concat([end, Buffer.from('junk')]);
      },
    ],
  ];
  for (const [name, make] of damaged) {
    it(`${name}: exit 6 under the default, nothing published`, async () => {
      const run = await load(make());
      assert.equal(run.code, 6, run.stdout);
      assert.equal(lastEvent(run).code, 'ERR_INTEGRITY');
      assert.match(String(lastEvent(run).msg), /zip archive/);
      assert.deepEqual(eventsNamed(run, 'not-a-jar'), []);
      await assert.rejects(readFile(target), { code: 'ENOENT' });
    });
  }
});
