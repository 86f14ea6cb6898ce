// One loader run against the fault server on loopback, checked the same way
// every time: no signature in stdout, stderr or the termination log.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactServer, fakeSignature, startArtifactServer } from './fault-server.ts';
import { fastLoaderEnv } from './loader-env.ts';
import { assertNoSecret, type LoaderRun, type RunLoaderOptions, runLoader } from './run-loader.ts';
import { makeTempDir, type TempDir } from './tmp.ts';

export interface Scenario extends AsyncDisposable {
  server: ArtifactServer;
  dir: TempDir;
  /** ARTIFACT_PATH: a folder the loader has to create, so its listing shows any leftover. */
  target: string;
  run(env?: Record<string, string>, options?: Omit<RunLoaderOptions, 'env'>): Promise<LoaderRun>;
}

/** A server, a folder and a runner with fastLoaderEnv; `check` runs on every run's result too. */
export async function scenario(check: (run: LoaderRun) => void = () => {}): Promise<Scenario> {
  const server = await startArtifactServer();
  const dir = await makeTempDir('runtime-loader-e2e-');
  const target = join(dir.path, 'out', 'app.jar');
  const terminationLog = join(dir.path, 'termination-log');
  // The loader writes the termination message only into a file that exists.
  await writeFile(terminationLog, '');
  const run = async (env: Record<string, string> = {}, options = {}) => {
    const result = await runLoader({
      ...options,
      env: fastLoaderEnv({ server, target, terminationLog }, env),
    });
    assertNoSecret(result, [fakeSignature]);
    const message = await readFile(terminationLog, 'utf8');
    assert.ok(!message.includes(fakeSignature), `termination log leaks the signature: ${message}`);
    check(result);
    return result;
  };
  const dispose = async () => {
    await server.close();
    await dir.cleanup();
  };
  return { server, dir, target, run, [Symbol.asyncDispose]: dispose };
}
