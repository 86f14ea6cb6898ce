// `runtime-loader/signing` as a TypeScript server would use it: the built
// module through the package's exports, and its declarations through tsc.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

const consumer = `
import { signUrl, verifySignedUrl, type VerifyResult } from 'runtime-loader/signing';
const secret = 'c'.repeat(40);
const url: string = signUrl({ baseUrl: 'http://127.0.0.1:8080', path: '/app.jar', ttlSeconds: 60, secret });
const result: VerifyResult = verifySignedUrl(url, [secret]);
console.log(JSON.stringify({ ok: result.ok, path: result.ok ? result.path : undefined }));
`;

describe('the runtime-loader/signing package export', () => {
  it('runs from dist/signing.mjs and type-checks against dist/types', async () => {
    await using tmp = await makeTempDir('consumer-');
    await mkdir(join(tmp.path, 'node_modules'));
    await symlink(repo, join(tmp.path, 'node_modules', 'runtime-loader'));
    await writeFile(join(tmp.path, 'package.json'), '{ "type": "module" }');
    await writeFile(join(tmp.path, 'server.ts'), consumer);
    // A misuse the declarations must catch: both expiry forms at once.
    await writeFile(
      join(tmp.path, 'misuse.ts'),
      `import { signUrl } from 'runtime-loader/signing';\n// @ts-expect-error ttlSeconds and expiresAt exclude each other\nsignUrl({ baseUrl: 'http://h', path: '/a', ttlSeconds: 1, expiresAt: new Date(), secret: 's' });\n`,
    );
    await writeFile(
      join(tmp.path, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(repo, 'node_modules/@types')],
        },
      }),
    );
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', tmp.path]);
    const { stdout } = await run(process.execPath, [join(tmp.path, 'server.ts')], {
      cwd: tmp.path,
    });
    assert.deepEqual(JSON.parse(stdout), { ok: true, path: '/app.jar' });
  });
});
