// src/process/v8-flags.ts, in a child process of its own (V8's flags are the process's):
// after a long download's tuning, V8 no longer optimizes a hot function with TurboFan;
// below the size it still does.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { longDownloadBytes } from '../../src/process/v8-flags.ts';

const modulePath = resolve(import.meta.dirname, '../../src/process/v8-flags.ts');

/** Whether a function V8 is asked to optimize ends on TurboFan after tuning for `sizeBytes`. */
async function turbofanAfterTuningFor(sizeBytes: number): Promise<boolean> {
  const script = `
import { tuneCompilerForDownloadOf } from ${JSON.stringify(modulePath)};
tuneCompilerForDownloadOf(${sizeBytes});
function hot(x) { return x * 2 + 1; }
%PrepareFunctionForOptimization(hot);
hot(1);
hot(2);
%OptimizeFunctionOnNextCall(hot);
hot(3);
process.stdout.write(String(%ActiveTierIsTurbofan(hot)));
`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--allow-natives-syntax',
    '--input-type=module',
    '-e',
    script,
  ]);
  return stdout === 'true';
}

describe('tuneCompilerForDownloadOf', () => {
  it('leaves TurboFan out from a long download on, and in below it', async () => {
    assert.equal(await turbofanAfterTuningFor(longDownloadBytes - 1), true);
    assert.equal(await turbofanAfterTuningFor(longDownloadBytes), false);
  });
});
