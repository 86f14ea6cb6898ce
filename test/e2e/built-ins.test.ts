// The per-replica floor (issue 23): a plain download from an http URL, without
// keys, loads only the built-in modules it uses. Each built-in that loads is
// memory and start-up time in every replica; the ones below are loaded at their
// first use by the runs that need them (docs/performance.md). The built loader
// runs as a child with a --require hook that writes process.moduleLoadList at exit.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ArtifactServer, startArtifactServer } from '../helpers/fault-server.ts';
import { fastLoaderEnv } from '../helpers/loader-env.ts';
import { runLoader } from '../helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer, type TempDir } from '../helpers/tmp.ts';

let server: ArtifactServer;
let tmp: TempDir;

before(async () => {
  server = await startArtifactServer();
  server.setArtifact(randomBytesBuffer(4096));
  tmp = await makeTempDir('built-ins-');
});
after(async () => {
  await server.close();
  await tmp.cleanup();
});

/** The public built-ins a download from an http URL without keys must not load, and why. */
const notLoaded = {
  worker_threads: 'only the signature passes (keys given) need it',
  perf_hooks: "no run needs it: the loader's clock is process.uptime()",
  'fs/promises': 'no run needs it: process/files.ts wraps node:fs, which Node has loaded anyway',
  https: 'only an https URL or proxy needs it',
  tls: 'only an https URL or proxy needs it',
  zlib: 'only an oci:// layer needs it',
};

describe('built-in modules of a download from an http URL', () => {
  it('loads none of those its success path does not use', async () => {
    const hook = join(tmp.path, 'module-list.cjs');
    const list = join(tmp.path, 'modules.txt');
    await writeFile(
      hook,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`,
    );
    const run = await runLoader({
      env: {
        ...fastLoaderEnv({ server, target: join(tmp.path, 'app.jar') }),
        NODE_OPTIONS: `--require ${hook}`,
      },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const loaded = new Set((await readFile(list, 'utf8')).split('\n'));
    assert.ok(loaded.has('NativeModule http'), 'the hook saw the run: node:http is in the list');
    for (const [name, why] of Object.entries(notLoaded)) {
      assert.ok(!loaded.has(`NativeModule ${name}`), `node:${name} loaded; ${why}`);
    }
  });
});
