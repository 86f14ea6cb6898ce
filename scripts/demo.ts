// `npm run demo`: the whole pair working on loopback, in about five seconds.
// Makes a real JAR, serves it with `runtime-loader serve` behind a random
// secret, signs a URL with `runtime-loader sign`, runs the loader into
// ./demo/jars/app.jar, then shows what an expired URL does: a restart keeps the
// JAR it verified (exit 0, a warning); a new replica is refused with exit 3.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { buildJar } from './jar.ts';
import { loaderPath, type ServeProcess, startServeProcess } from './loader-process.ts';

const demoDir = resolve('demo');
const artifactsDir = join(demoDir, 'artifacts');
const jarsDir = join(demoDir, 'jars');
const secretFile = join(demoDir, 'secret');
const terminationLog = join(demoDir, 'termination-log');
const servedJar = join(artifactsDir, 'app.jar');
const loadedJar = join(jarsDir, 'app.jar');
/** A second replica's empty volume. */
const newReplicaJar = join(demoDir, 'jars-new-replica', 'app.jar');
const payloadBytes = 16 * 1024 * 1024;
/** Slow enough on loopback that the loader's progress is there to see. */
const ratePerConnection = '8MiB';

const terminal = process.stdout.isTTY === true;
const bold = (text: string) => (terminal ? `\x1b[1m${text}\x1b[0m` : text);
const show = (path: string) => relative(process.cwd(), path) || '.';
let step = 0;
function heading(text: string): void {
  step += 1;
  console.log(`\n${bold(`${step}. ${text}`)}`);
}
const hideSignature = (url: string) => url.replace(/\?.*$/, '?<signature hidden>');

/** Runs the built CLI; the loader's own output goes straight to the terminal. */
function cli(
  args: string[],
  env: Record<string, string> = {},
  output: 'inherit' | 'capture' = 'capture',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [loaderPath, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', output === 'inherit' ? 'inherit' : 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function sign(origin: string, extra: string[]): Promise<Record<string, string>> {
  const signed = await cli([
    'sign',
    '--base-url',
    origin,
    '--path',
    '/app.jar',
    '--secret-file',
    secretFile,
    '--env',
    '--dir',
    artifactsDir,
    ...extra,
  ]);
  if (signed.code !== 0)
    throw new Error(`runtime-loader sign exited ${signed.code}: ${signed.stderr}`);
  return Object.fromEntries(
    signed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/=(.*)/s, 2) as [string, string]),
  );
}

function loaderEnv(signed: Record<string, string>, target = loadedJar): Record<string, string> {
  return {
    ARTIFACT_URL: signed.ARTIFACT_URL ?? '',
    ARTIFACT_EXPECTED_SIZE: signed.ARTIFACT_EXPECTED_SIZE ?? '',
    ARTIFACT_PATH: target,
    LOADER_LOG_FORMAT: 'text',
    LOADER_TERMINATION_LOG: terminationLog,
  };
}

const sha256Of = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

async function main(): Promise<number> {
  if (!existsSync(loaderPath))
    throw new Error('the loader is not built: run `npm run build` (npm run demo does)');
  console.log(
    bold(
      'runtime-loader demo: a signed URL served, loaded, verified; after it expired, a restart keeps the JAR and a new replica is refused',
    ),
  );
  for (const path of [artifactsDir, jarsDir, dirname(newReplicaJar), secretFile, terminationLog])
    await rm(path, { recursive: true, force: true });
  await mkdir(artifactsDir, { recursive: true });
  await mkdir(jarsDir, { recursive: true });

  heading('A real JAR to deploy');
  await writeFile(servedJar, await buildJar({ payloadBytes }));
  await writeFile(secretFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  console.log(
    `   ${show(servedJar)}: manifest (Main-Class: com.example.Main), a class and a ${payloadBytes / 1024 / 1024} MiB resource`,
  );
  console.log(`   ${show(secretFile)}: a random signing secret, mode 600`);

  heading('The reference server');
  let server: ServeProcess | undefined;
  try {
    server = await startServeProcess({
      dir: artifactsDir,
      secretFile,
      args: ['--rate-per-connection', ratePerConnection],
    });
    console.log(
      `   runtime-loader serve --dir ${show(artifactsDir)} --secret-file ${show(secretFile)} --port 0 --rate-per-connection ${ratePerConnection}`,
    );
    console.log(
      `   listening on ${server.origin} (loopback only; capped at ${ratePerConnection}/s per connection so the progress shows)`,
    );

    heading('A signed URL, valid for 15 minutes');
    const signed = await sign(server.origin, ['--ttl', '15m']);
    console.log(
      `   runtime-loader sign --base-url ${server.origin} --path /app.jar --ttl 15m --secret-file ${show(secretFile)} --env --dir ${show(artifactsDir)}`,
    );
    console.log(`   ARTIFACT_URL=${hideSignature(signed.ARTIFACT_URL ?? '')}`);
    console.log(`   ARTIFACT_EXPECTED_SIZE=${signed.ARTIFACT_EXPECTED_SIZE}`);

    heading(`The loader: ${show(servedJar)} -> ${show(loadedJar)}`);
    await writeFile(terminationLog, '');
    const load = await cli([], loaderEnv(signed), 'inherit');
    if (load.code !== 0) throw new Error(`the loader exited ${load.code}: ${load.stderr}`);

    heading('Summary');
    const [servedDigest, loadedDigest] = await Promise.all([
      sha256Of(servedJar),
      sha256Of(loadedJar),
    ]);
    if (servedDigest !== loadedDigest)
      throw new Error(`${show(loadedJar)} differs from the served file`);
    console.log(
      `   ${show(loadedJar)}: ${signed.ARTIFACT_EXPECTED_SIZE} bytes, sha256 ${loadedDigest}, identical to the served JAR`,
    );
    console.log(
      `   termination message (what kubectl describe pod shows): ${(await readFile(terminationLog, 'utf8')).trim()}`,
    );

    heading('The pod restarts after its URL expired: the verified JAR is kept (exit 0, a warning)');
    const expired = await sign(server.origin, [
      '--expires-at',
      new Date(Date.now() - 3600_000).toISOString(),
    ]);
    const restarted = await cli([], loaderEnv(expired), 'inherit');
    if (restarted.code !== 0)
      throw new Error(
        `expected a restart to keep the verified JAR (exit 0), got ${restarted.code}`,
      );
    const stillThere = await sha256Of(loadedJar);
    console.log(
      `   exit code ${restarted.code}; ${show(loadedJar)} still has sha256 ${stillThere === loadedDigest ? 'as before' : 'CHANGED'}`,
    );
    if (stillThere !== loadedDigest) throw new Error('the restart changed the published JAR');

    heading('A new replica with the expired URL is refused (exit 3)');
    const refused = await cli([], loaderEnv(expired, newReplicaJar), 'inherit');
    if (refused.code !== 3)
      throw new Error(`expected the loader to exit 3 for an expired URL, got ${refused.code}`);
    console.log(`   exit code ${refused.code}; ${show(newReplicaJar)} was not created`);
    if (existsSync(newReplicaJar)) throw new Error('the refused run published a JAR');
  } finally {
    if (server !== undefined) {
      heading('Stopping the server (SIGTERM, graceful)');
      const code = await server.stop();
      console.log(`   exited ${code}; its access log, which never holds a signature:`);
      for (const line of server.lines) {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.event === 'request') {
          console.log(
            `   ${event.method} ${event.path} ${event.status} ${event.bytes} bytes${event.reason ? ` (${event.reason})` : ''}`,
          );
        }
      }
    }
  }
  console.log(
    `\n${bold('Done.')} Next: npm test; README.md for the contract; docs/signed-urls.md for the URL scheme.`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
