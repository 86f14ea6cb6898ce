import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const modulePath = resolve(import.meta.dirname, '../../src/process/closable-output.ts');

// Writes a line every 10 ms to stdout through closableWriter, 100 in all, and says on stderr
// what it heard; it must never crash, however early its reader goes.
const writer = `
import { closableWriter } from ${JSON.stringify(modulePath)};
const heard = [];
const write = closableWriter(process.stdout, (error) => heard.push(error.code));
for (let line = 0; line < 100; line += 1) {
  write('line ' + line + '\\n');
  await new Promise((done) => setTimeout(done, 10));
}
process.stderr.write(JSON.stringify(heard));
`;

describe('closableWriter', () => {
  it('stops at the first error of a pipe whose reader went away, and hears why once', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A real pipe closed by its reader after the first bytes, as `| head -c 5` does.
    child.stdout.once('data', () => child.stdout.destroy());
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'close');
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stderr), ['EPIPE']);
  });
});
