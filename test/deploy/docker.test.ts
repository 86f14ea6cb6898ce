// deploy/docker/: the run line and the compose service lock the loader down with
// exactly the flags the container test runs the image with (one shared constant).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  jarsMountPath,
  loaderEnvNames,
  loaderHardeningFlags,
} from '../../test-container/hardening.ts';

const runScript = new URL('../../deploy/docker/run.sh', import.meta.url);
const composeFile = new URL('../../deploy/docker/compose.yaml', import.meta.url);

/** Options of `run` that only plumb (name, volume, env); everything else is lock-down. */
const plumbing = new Set(['--rm', '--name', '-v', '-e']);
/** Options of `run` that take no value; every other option takes the next word. */
const booleanOptions = new Set([
  '--rm',
  '--read-only',
  '--privileged',
  '--init',
  '-d',
  '--detach',
  '-i',
  '-t',
]);

interface RunLine {
  readonly hardening: string[];
  readonly volumes: string[];
  readonly env: string[];
  readonly image: string;
  readonly command: string[];
}

/** The `"$DOCKER" run ...` commands of run.sh, continuation lines joined, split into words. */
async function runLines(): Promise<RunLine[]> {
  const text = (await readFile(runScript, 'utf8')).replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((line) => /^(exec )?"\$DOCKER" run /.test(line.trim()));
  return lines.map((line) => {
    const words = shellWords(line.trim().replace(/^exec /, '')).slice(2);
    const run: RunLine = { hardening: [], volumes: [], env: [], image: '', command: [] };
    let index = 0;
    while (words[index]?.startsWith('-') || words[index]?.startsWith('${')) {
      const option = words[index] ?? '';
      // "${network[@]}": optional plumbing (--network), not lock-down.
      if (option.startsWith('${')) {
        index += 1;
        continue;
      }
      const value = booleanOptions.has(option) ? [] : [words[index + 1] ?? ''];
      index += 1 + value.length;
      if (!plumbing.has(option)) run.hardening.push(option, ...value);
      else if (option === '-v') run.volumes.push(...value);
      else if (option === '-e') run.env.push(...value);
    }
    return { ...run, image: words[index] ?? '', command: words.slice(index + 1) };
  });
}

/** Splits a shell line into words, honouring double quotes (enough for run.sh). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

test('run.sh is valid bash and stops at the first failure', async () => {
  const check = spawnSync('bash', ['-n', fileURLToPath(runScript)], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(await readFile(runScript, 'utf8'), /^set -euo pipefail$/m);
});

test('run.sh runs the loader with exactly the hardening flags of the container test', async () => {
  const [loader] = await runLines();
  assert.ok(loader !== undefined, 'a "$DOCKER" run line for the loader');
  assert.equal(loader.image, '$LOADER_IMAGE');
  assert.deepEqual(loader.hardening, [...loaderHardeningFlags]);
  assert.deepEqual(loader.volumes, [`$VOLUME:${jarsMountPath}`]);
  assert.deepEqual(
    loader.env,
    [...loaderEnvNames],
    'passed by name: the signed URL stays off the command line',
  );
  assert.deepEqual(loader.command, [], 'the image entrypoint runs as built');
});

test('run.sh starts the app after the loader, with /app/jars read-only', async () => {
  const lines = await runLines();
  assert.equal(lines.length, 2);
  const app = lines[1];
  assert.ok(app !== undefined);
  assert.deepEqual(app.volumes, [`$VOLUME:${jarsMountPath}:ro`]);
});

interface ComposeService {
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  user?: string;
  tmpfs?: unknown;
  environment?: string[] | Record<string, string | null>;
  volumes?: string[];
  restart?: string;
  depends_on?: Record<string, { condition?: string }>;
}

async function loadCompose(): Promise<{
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}> {
  return parse(await readFile(composeFile, 'utf8'));
}

/** The `docker run` flags a compose service's lock-down keys stand for. */
function composeToRunFlags(service: ComposeService): string[] {
  const flags: string[] = [];
  if (service.read_only === true) flags.push('--read-only');
  for (const cap of service.cap_drop ?? []) flags.push('--cap-drop', cap);
  for (const opt of service.security_opt ?? [])
    flags.push('--security-opt', opt.replace(/:true$/, ''));
  if (service.user !== undefined) flags.push('--user', service.user);
  return flags;
}

test('compose: the loader service has the same lock-down, the volume and the two variables', async () => {
  const compose = await loadCompose();
  const loader = compose.services['runtime-loader'];
  assert.ok(loader !== undefined, 'a runtime-loader service');
  assert.deepEqual(composeToRunFlags(loader), [...loaderHardeningFlags]);
  assert.equal(loader.tmpfs, undefined, 'the loader needs no tmpfs');
  assert.deepEqual(loader.volumes, [`app-jars:${jarsMountPath}`]);
  assert.ok(
    compose.volumes !== undefined && 'app-jars' in compose.volumes,
    'app-jars is a named volume',
  );
  assert.deepEqual(
    loader.environment,
    [...loaderEnvNames],
    'passed on from the shell, never written down',
  );
  assert.equal(loader.restart, 'no', 'an init container runs once');
});

test('compose: the app starts only after the loader completed successfully, /app/jars read-only', async () => {
  const compose = await loadCompose();
  const app = compose.services.app;
  assert.ok(app !== undefined, 'an app service');
  assert.deepEqual(app.depends_on, {
    'runtime-loader': { condition: 'service_completed_successfully' },
  });
  assert.deepEqual(app.volumes, [`app-jars:${jarsMountPath}:ro`]);
  assert.notEqual(app.user, '0', 'the app is not root either');
});
