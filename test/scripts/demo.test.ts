// `npm run demo` end to end, as a newcomer runs it after `npm ci`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);
const demoScript = resolve(import.meta.dirname, '../../scripts/demo.ts');

describe('the demo', () => {
  it('loads a signed JAR into ./demo/jars; after expiry a restart keeps it, a new replica exits 3', async () => {
    await using tmp = await makeTempDir('demo-');
    const { stdout, stderr } = await run(process.execPath, [demoScript], {
      cwd: tmp.path,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: 60_000,
    });
    const served = await readFile(join(tmp.path, 'demo/artifacts/app.jar'));
    const loaded = await readFile(join(tmp.path, 'demo/jars/app.jar'));
    assert.ok(loaded.equals(served), 'the loaded JAR differs from the served one');
    assert.match(stdout, /INFO {2}progress: /, 'the loader showed its progress');
    assert.match(stdout, /identical to the served JAR/);
    assert.match(stdout, /WARN {2}kept-verified: keeping .*403 Forbidden/);
    assert.match(stdout, /exit code 0; demo\/jars\/app\.jar still has sha256 as before/);
    assert.match(stdout, /ERROR failed: server rejected the request with 403/);
    assert.match(stdout, /exit code 3; demo\/jars-new-replica\/app\.jar was not created/);
    assert.match(stdout, /exited 0; its access log/);
    assert.equal(stdout.match(/GET \/app\.jar 403 0 bytes \(expired\)/g)?.length, 2);
    assert.doesNotMatch(stdout + stderr, /rl-signature|rl-key-id=/);
    const secret = (await readFile(join(tmp.path, 'demo/secret'), 'utf8')).trim();
    assert.ok(!stdout.includes(secret), 'the secret was printed');
  });
});
