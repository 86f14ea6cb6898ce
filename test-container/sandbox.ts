// Every container and volume the container test makes goes through a Sandbox:
// named and labelled with one run id, so `cleanup()` can remove them all (even
// after a failed or timed-out run) and then prove that none is left.
import { randomBytes } from 'node:crypto';
import { type Engine, type ExecResult, expectSuccess } from '../scripts/engine.ts';
import {
  hardeningFlags,
  jarsMountPath,
  loaderEnvNames,
  loaderHardeningFlags,
} from './hardening.ts';

const runLabel = 'io.runtime-loader.test-run';
const containerTimeoutMs = 120_000;
const quickTimeoutMs = 60_000;

/** UID:GID of the "main" container: not the loader's, so only the file mode lets it read. */
export const mainContainerUser = '2000:2000';

export interface LoaderEnv {
  readonly ARTIFACT_URL: string;
  readonly ARTIFACT_EXPECTED_SIZE: string;
}

/** What the main container sees in /app/jars. */
export interface VolumeView {
  readonly entries: readonly string[];
  readonly dir: { readonly uid: number; readonly gid: number; readonly mode: string };
  readonly jar?: {
    readonly uid: number;
    readonly mode: string;
    readonly sizeBytes: number;
    readonly sha256: string;
  };
}

// Runs in the main container under /nodejs/bin/node -e: no shell in the image.
const readVolumeScript = `
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const dir = ${JSON.stringify(jarsMountPath)};
const mode = (st) => (st.mode & 0o7777).toString(8);
const d = fs.statSync(dir);
const view = { entries: fs.readdirSync(dir).sort(), dir: { uid: d.uid, gid: d.gid, mode: mode(d) } };
if (view.entries.includes('app.jar')) {
  const path = dir + '/app.jar';
  const st = fs.statSync(path);
  const sha256 = createHash('sha256').update(fs.readFileSync(path)).digest('hex');
  view.jar = { uid: st.uid, mode: mode(st), sizeBytes: st.size, sha256 };
}
console.log(JSON.stringify(view));
`;

// Runs with the loader's flags: which paths can the loader's user write?
const writeProbeScript = `
const fs = require('node:fs');
const result = {};
for (const path of process.argv.slice(1)) {
  try { fs.writeFileSync(path, 'probe'); fs.unlinkSync(path); result[path] = 'writable'; }
  catch (error) { result[path] = error.code; }
}
console.log(JSON.stringify(result));
`;

// Runs in the image as the loader's user: its node, and the text files beside the bundle.
const appFilesScript = `
const fs = require('node:fs');
const files = {};
for (const name of fs.readdirSync('/app').sort()) {
  const path = '/app/' + name;
  if (name !== 'runtime-loader.mjs' && fs.statSync(path).isFile()) files[path] = fs.readFileSync(path, 'utf8');
}
console.log(JSON.stringify({ node: process.version.slice(1), arch: process.arch, files }));
`;

/** What the image holds beside the bundle, read inside it. */
export interface AppFiles {
  /** The image's node, as it reports itself (24.21.0). */
  readonly node: string;
  /** Node's name for the architecture it runs on (x64, arm64). */
  readonly arch: string;
  /** Absolute path → text, for every file in /app but the bundle. */
  readonly files: Readonly<Record<string, string>>;
}

export class Sandbox {
  readonly runId = `rl-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #engine: Engine;
  readonly #volumes = new Set<string>();
  readonly #containers = new Set<string>();
  #serial = 0;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** A fresh, empty named volume. */
  async createVolume(purpose: string): Promise<string> {
    const name = `${this.runId}-${purpose}`;
    this.#volumes.add(name);
    const result = await this.#engine.exec(
      ['volume', 'create', '--label', `${runLabel}=${this.runId}`, name],
      {
        timeoutMs: quickTimeoutMs,
      },
    );
    expectSuccess(result, `${this.#engine.name} volume create ${name}`);
    return name;
  }

  /**
   * Runs the loader the way an orchestrator does: the shared hardening flags, the
   * volume at /app/jars, the two variables passed on by name (never on the
   * command line: the URL carries a signature). `--network host` reaches the
   * test's loopback server.
   */
  runLoader(image: string, volume: string, env: LoaderEnv): Promise<ExecResult> {
    const args = [
      '--network',
      'host',
      ...this.#engine.runFlags,
      ...loaderHardeningFlags,
      '-v',
      `${volume}:${jarsMountPath}`,
      ...loaderEnvNames.flatMap((name) => ['-e', name]),
      image,
    ];
    return this.#run('loader', args, { ...env });
  }

  /**
   * `--version` run the way the loader runs, with Node's compile-cache debug
   * output on: its stderr says whether the cache baked into the image was taken.
   */
  async compileCacheReport(image: string): Promise<string> {
    const args = [
      '--network',
      'none',
      ...this.#engine.runFlags,
      ...loaderHardeningFlags,
      '-e',
      'NODE_DEBUG_NATIVE=COMPILE_CACHE',
      image,
      '--version',
    ];
    const result = await this.#run('compile-cache', args);
    expectSuccess(result, 'the loader with compile-cache debug output');
    return result.stderr;
  }

  /** The main container: another non-root user, the volume mounted read-only. */
  async readVolume(image: string, volume: string): Promise<VolumeView> {
    const args = [
      '--network',
      'none',
      ...this.#engine.runFlags,
      ...hardeningFlags(mainContainerUser),
      '-v',
      `${volume}:${jarsMountPath}:ro`,
      '--entrypoint',
      '/nodejs/bin/node',
      image,
      '-e',
      readVolumeScript,
    ];
    const stdout = expectSuccess(
      await this.#run('main', args),
      'the main container reading /app/jars',
    );
    return JSON.parse(stdout) as VolumeView;
  }

  /** The image's node and the files beside the bundle in /app, read as the loader's user. */
  async readAppFiles(image: string): Promise<AppFiles> {
    const args = [
      '--network',
      'none',
      ...this.#engine.runFlags,
      ...loaderHardeningFlags,
      '--entrypoint',
      '/nodejs/bin/node',
      image,
      '-e',
      appFilesScript,
    ];
    const stdout = expectSuccess(await this.#run('app-files', args), 'reading /app in the image');
    return JSON.parse(stdout) as AppFiles;
  }

  /** Tries to write each path as the loader would run (same flags, same volume); returns path → outcome. */
  async probeWrites(
    image: string,
    volume: string,
    paths: readonly string[],
  ): Promise<Record<string, string>> {
    const args = [
      '--network',
      'none',
      ...this.#engine.runFlags,
      ...loaderHardeningFlags,
      '-v',
      `${volume}:${jarsMountPath}`,
      '--entrypoint',
      '/nodejs/bin/node',
      image,
      '-e',
      writeProbeScript,
      ...paths,
    ];
    const stdout = expectSuccess(await this.#run('probe', args), 'the write probe');
    return JSON.parse(stdout) as Record<string, string>;
  }

  async #run(
    purpose: string,
    args: readonly string[],
    extraEnv: Record<string, string> = {},
  ): Promise<ExecResult> {
    this.#serial += 1;
    const name = `${this.runId}-${purpose}-${this.#serial}`;
    this.#containers.add(name);
    const runArgs = [
      'run',
      '--rm',
      '--name',
      name,
      '--label',
      `${runLabel}=${this.runId}`,
      ...args,
    ];
    return await this.#engine.exec(runArgs, { timeoutMs: containerTimeoutMs, extraEnv });
  }

  /**
   * Removes every container and volume of this run, then lists what still
   * carries the run's label; throws if anything is left.
   */
  async cleanup(): Promise<void> {
    const engine = this.#engine;
    for (const name of this.#containers) {
      // Usually gone already (--rm); this catches runs that were killed on timeout
      // (killing the CLI leaves the container running). podman would first wait
      // 10 s for SIGTERM; docker's --force kills at once.
      const now = engine.name === 'podman' ? ['--time', '0'] : [];
      await engine.exec(['rm', '--force', ...now, name], { timeoutMs: quickTimeoutMs });
    }
    for (const name of this.#volumes) {
      await engine.exec(['volume', 'rm', '--force', name], { timeoutMs: quickTimeoutMs });
    }
    const filter = `label=${runLabel}=${this.runId}`;
    const containersLeft = expectSuccess(
      await engine.exec(['ps', '--all', '--quiet', '--filter', filter], {
        timeoutMs: quickTimeoutMs,
      }),
      'listing containers left behind',
    ).trim();
    const volumesLeft = expectSuccess(
      await engine.exec(['volume', 'ls', '--quiet', '--filter', filter], {
        timeoutMs: quickTimeoutMs,
      }),
      'listing volumes left behind',
    ).trim();
    if (containersLeft !== '' || volumesLeft !== '') {
      throw new Error(
        `the container test left resources behind: containers [${containersLeft}] volumes [${volumesLeft}]`,
      );
    }
  }
}

/** The JSON log lines of a run's stdout (other lines are ignored). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log record
    }
  }
  return records;
}
