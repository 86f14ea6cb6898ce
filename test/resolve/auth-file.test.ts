import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { Redactor } from '../../src/log/redact.ts';
import { readAuthFile } from '../../src/resolve/auth-file.ts';
import { credentialsFor } from '../../src/resolve/credentials.ts';
import { makeTempDir } from '../helpers/tmp.ts';

describe('readAuthFile', () => {
  it('reads a mounted dockerconfigjson and registers its secrets', async () => {
    await using dir = await makeTempDir();
    const path = join(dir.path, 'config.json');
    const auth = Buffer.from('robot:mounted-secret').toString('base64');
    await writeFile(path, JSON.stringify({ auths: { 'ghcr.io': { auth } } }));
    const redactor = new Redactor();
    const file = readAuthFile({ path, source: `LOADER_REGISTRY_AUTH_FILE (${path})` }, redactor);
    assert.ok(credentialsFor(file, 'ghcr.io').found);
    assert.equal(redactor.scrub('mounted-secret'), '[redacted]');
  });

  it('refuses a named file it cannot read, saying what to check', async () => {
    await using dir = await makeTempDir();
    const at = (path: string) => ({ path, source: `DOCKER_CONFIG (${path})` });
    const missing = join(dir.path, 'missing.json');
    assert.throws(
      () => readAuthFile(at(missing), new Redactor()),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message ===
          `cannot read DOCKER_CONFIG (${missing}): no such file (is the Secret volume mounted?)`,
    );
    const folder = join(dir.path, 'folder');
    await mkdir(folder);
    assert.throws(
      () => readAuthFile(at(folder), new Redactor()),
      /is a folder; expected a regular file holding a Docker config\.json/,
    );
  });

  it('says how to mount the Secret when the file is not readable by the loader', async () => {
    await using dir = await makeTempDir();
    const locked = join(dir.path, 'locked.json');
    await writeFile(locked, '{}');
    await chmod(locked, 0o000);
    const expected = /permission denied \(the loader runs as UID 1000/;
    if (process.getuid?.() !== 0) {
      assert.throws(
        () => readAuthFile({ path: locked, source: 'the file' }, new Redactor()),
        expected,
      );
      return;
    }
    // Root reads any file: the check runs in a child as UID 1000, as the loader does.
    await chmod(dir.path, 0o755);
    const module = new URL('../../src/resolve/auth-file.ts', import.meta.url).href;
    const script = `import { readAuthFile } from ${JSON.stringify(module)};
      try { readAuthFile({ path: ${JSON.stringify(locked)}, source: 'the file' }, { addSecret() {}, addRaw() {} }); console.log('read'); }
      catch (error) { console.log(error.message); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: 1000,
      gid: 1000,
      encoding: 'utf8',
    });
    assert.match(child.stdout, expected, child.stderr);
  });
});
