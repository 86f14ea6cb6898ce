// `npm run bench`: the loader against `curl -o` and `aria2c -x8`, on one
// loopback server (`runtime-loader serve`), uncapped and with a per-connection
// cap as object stores impose. A benchmark, not a test: it reports, it does
// not pass or fail. Output: tables on stdout, every run in a JSON file.
//
//   npm run bench -- [--size 1GiB] [--rounds 5] [--cap 40MiB] [--capped-size 256MiB]
//                    [--memory-sizes 64MiB,1GiB,4GiB] [--scenarios a,b] [--json FILE]
//                    [--herd 200] [--herd-size 16MiB] [--herd-max-transfers N] [--save NAME]
//   npm run bench -- --herd 200 --scenarios herd      the herd alone
//   npm run bench -- --herd 20 --oci                  oci:// from a registry and a mirror (oci-herd.ts)
//   npm run bench -- --scenarios floor,herd --save memory-goals
//                    every figure of the memory goals (goals.ts), kept in bench/results/
//   npm run bench -- --scenarios signature              a publisher signature's cost, paired
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loaderPath, startServeProcess } from '../scripts/loader-process.ts';
import { problemOf } from '../src/options/expected.ts';
import { parseByteSize } from '../src/options/sizes.ts';
import { writeRandomFile } from './artifact.ts';
import {
  aria2c,
  type Client,
  compileCacheDir,
  curl,
  curlVerified,
  imageNodeArgs,
  loader,
  versionOf,
} from './clients.ts';
import { floor, formatFloor } from './floor.ts';
import { formatGoals, type GoalRow, loaderGoalRows, serveGoalRows } from './goals.ts';
import { formatHerd, type HerdResult, herd } from './herd.ts';
import { gnuTime } from './measure.ts';
import { nginxPath, startNginx } from './nginx.ts';
import { formatOciHerd, ociHerd } from './oci-herd.ts';
import { formatTable, type Summary, summarise } from './report.ts';
import {
  alternate,
  type BenchContext,
  burst,
  resumeCost,
  serverCeiling,
  signedUrl,
  startupMsOf,
} from './scenarios.ts';
import { signatureCost } from './signature.ts';

const allScenarios = [
  'throughput',
  'capped',
  'memory',
  'startup',
  'resume',
  'replicas',
  'floor',
  'herd',
  'signature',
] as const;
const mib = 1024 * 1024;

const { values: flags } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    rounds: { type: 'string', default: '5' },
    cap: { type: 'string', default: '40MiB' },
    'capped-size': { type: 'string', default: '256MiB' },
    'memory-sizes': { type: 'string', default: '64MiB,1GiB,4GiB' },
    scenarios: { type: 'string' },
    json: { type: 'string' },
    herd: { type: 'string', default: '200' },
    'herd-size': { type: 'string', default: '16MiB' },
    'herd-max-transfers': { type: 'string' },
    oci: { type: 'boolean', default: false },
    save: { type: 'string' },
  },
});
/** A size flag in the loader's tools' own syntax (`40MiB`), its problem named as the flag. */
function parseBytes(raw: string, flag: string): number {
  try {
    return parseByteSize(raw);
  } catch (error) {
    throw new Error(problemOf(`--${flag}`, error));
  }
}
const herdCount = Number(flags.herd);
if (!Number.isSafeInteger(herdCount) || herdCount < 1) throw new Error('--herd: a count, e.g. 200');
const herdSizeBytes = parseBytes(flags['herd-size'], 'herd-size');
const sizeBytes = parseBytes(flags.size, 'size');
const rounds = Number(flags.rounds);
const capBytesPerSecond = parseBytes(flags.cap, 'cap');
const cappedSizeBytes = parseBytes(flags['capped-size'], 'capped-size');
const memorySizes = flags['memory-sizes']
  .split(',')
  .map((size) => parseBytes(size, 'memory-sizes'));
// --oci alone runs the oci:// herd alone; it is no part of the default set (it needs docker-registry).
const knownScenarios = [...allScenarios, 'oci-herd'];
const scenarios = new Set(
  (flags.scenarios ?? (flags.oci ? 'oci-herd' : allScenarios.join(','))).split(','),
);
if (flags.oci) scenarios.add('oci-herd');
for (const name of scenarios) {
  if (!knownScenarios.includes(name))
    throw new Error(`unknown scenario ${name}; one of ${knownScenarios.join(', ')}`);
}
const startedAt = new Date();
const startLoad = loadavg()
  .map((value) => value.toFixed(2))
  .join(' ');
if (flags.save !== undefined && !/^[a-z0-9-]+$/.test(flags.save))
  throw new Error('--save: a name of lowercase letters, digits and dashes, e.g. memory-goals');
/** `--save NAME`: the run is kept in bench/results/, the printed tables beside the JSON. */
const savedPath =
  flags.save === undefined
    ? undefined
    : resolve(
        import.meta.dirname,
        'results',
        `${startedAt.toISOString().slice(0, 10)}-${flags.save}`,
      );
// A kept run is quoted by docs/: a second run the same day must not replace it unseen.
if (savedPath !== undefined && existsSync(`${savedPath}.json`))
  throw new Error(
    `--save ${flags.save}: ${savedPath}.json is already kept (docs/ may quote it); choose another name`,
  );
const jsonPath = resolve(
  flags.json ??
    (savedPath === undefined
      ? join('.tmp', 'bench', `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
      : `${savedPath}.json`),
);

const tools = {
  curl: versionOf('curl'),
  aria2c: versionOf('aria2c'),
  gnuTime: existsSync(gnuTime),
  nginx: existsSync(nginxPath),
};
const missing: string[] = [];
if (!tools.curl)
  missing.push(
    'curl is not installed: no baseline, no server ceiling, and the resume scenario is skipped (Debian: sudo apt-get install curl)',
  );
if (!tools.aria2c)
  missing.push('aria2c is not installed: skipped (Debian: sudo apt-get install aria2)');
if (!tools.gnuTime)
  missing.push(
    `${gnuTime} is missing: no peak RSS or CPU time (Debian: sudo apt-get install time)`,
  );
if (!tools.nginx && (scenarios.has('herd') || scenarios.has('floor')))
  missing.push(
    'nginx is not installed: the herd and the 1 GiB floor run against serve only (Debian: sudo apt-get install nginx)',
  );
for (const line of missing) console.log(`!! ${line}`);
if (!existsSync(loaderPath)) throw new Error('run `npm run build` first (npm run bench does)');

const work = await mkdtemp(join(tmpdir(), 'runtime-loader-bench-'));
const served = join(work, 'served');
await mkdir(served);
const secret = randomBytes(32).toString('base64url');
const secretFile = join(work, 'secret');
await writeFile(secretFile, secret, { mode: 0o600 });
const output = join(work, 'out', 'app.jar');
await mkdir(dirname(output));

const context: BenchContext = {
  secret,
  rounds,
  runs: [],
  progress: (text) => process.stderr.write(`\r\x1b[K${text}`),
};
const summaries: Record<string, Summary[] | unknown> = {};
const tables: string[] = [];
const goals: GoalRow[] = [];
const withCurl = (clients: Client[]) =>
  clients.filter((client) => (client !== curl && client !== curlVerified) || tools.curl);
const withAria = (clients: Client[]) =>
  tools.aria2c ? clients : clients.filter((client) => !client.name.startsWith('aria2c'));

/** What a client downloads: `file` through a signed URL on the server at `origin`. */
function downloadOf(origin: string, file: { path: string; sha256: string }, sizeBytes: number) {
  return { url: signedUrl(context, origin, file.path), sizeBytes, sha256: file.sha256, output };
}

async function artifact(bytes: number): Promise<{ path: string; sha256: string }> {
  const name = `artifact-${bytes}.bin`;
  const sha256 = await writeRandomFile(join(served, name), bytes);
  return { path: `/${name}`, sha256 };
}

/** Every client here shares 127.0.0.1, standing for hosts or pods that each have an address of their own. */
const ownAddresses = ['--max-transfers-per-client', '999999'];
/** `serve` as the image runs it: the ENTRYPOINT's Node flags. */
const asInImage = { nodeArgs: imageNodeArgs };
const server = await startServeProcess({
  dir: served,
  secretFile,
  args: ownAddresses,
  ...asInImage,
});
const cappedServer = await startServeProcess({
  dir: served,
  secretFile,
  ...asInImage,
  args: ['--rate-per-connection', String(capBytesPerSecond), ...ownAddresses],
});
try {
  const main = await artifact(sizeBytes);
  const download = downloadOf(server.origin, main, sizeBytes);

  if (scenarios.has('throughput')) {
    const clients = withAria(withCurl([loader(1), loader(4), curl, curlVerified, aria2c(8)]));
    const rows = await alternate(context, 'throughput', clients, download);
    summaries.throughput = summarise(rows);
    tables.push(
      formatTable(
        `Uncapped loopback, ${format(sizeBytes)}, median of ${rounds} alternating rounds after a warm-up`,
        summaries.throughput as Summary[],
      ),
    );
  }

  if (scenarios.has('capped')) {
    const capped = cappedSizeBytes === sizeBytes ? main : await artifact(cappedSizeBytes);
    const cappedDownload = downloadOf(cappedServer.origin, capped, cappedSizeBytes);
    const clients = withAria(withCurl([loader(8), curl, aria2c(8)]));
    const rows = await alternate(context, 'capped', clients, cappedDownload);
    const ceiling = tools.curl ? await serverCeiling(context, cappedDownload, 8) : undefined;
    summaries.capped = summarise(rows);
    summaries.cappedServerCeiling = ceiling;
    tables.push(
      formatTable(
        `Capped at ${format(capBytesPerSecond)}/s per connection, ${format(cappedSizeBytes)}; target for 8 connections: >= ${((0.9 * 8 * capBytesPerSecond) / mib).toFixed(0)} MiB/s`,
        summaries.capped as Summary[],
      ),
    );
    if (ceiling !== undefined) {
      tables.push(
        `server ceiling: 8 curl range requests at once, ${ceiling.medianMibPerSecond.toFixed(0)} MiB/s (median of ${ceiling.runs})`,
      );
    }
  }

  if (scenarios.has('memory')) {
    const rows = [];
    for (const bytes of memorySizes) {
      const file = bytes === sizeBytes ? main : await artifact(bytes);
      const sized = downloadOf(server.origin, file, bytes);
      for (const row of await alternate(
        context,
        `memory ${format(bytes)}`,
        [loader(1), loader(4)],
        sized,
        { rounds: 1 },
      )) {
        rows.push({ ...row, note: format(bytes) });
      }
      if (file !== main) await rm(join(served, file.path), { force: true });
    }
    summaries.memory = summarise(rows);
    tables.push(
      formatTable(
        'Peak RSS by artifact size (one run each after a warm-up; target <= 64 MiB at every size)',
        summaries.memory as Summary[],
      ),
    );
  }

  if (scenarios.has('startup')) {
    const tiny = await artifact(4096);
    const tinyDownload = downloadOf(server.origin, tiny, 4096);
    const rows = await alternate(context, 'startup', withCurl([loader(1), curl]), tinyDownload, {
      rounds: 15,
      keepStdout: true,
    });
    const startupMs = startupMsOf(rows[0]?.samples ?? []);
    summaries.startup = { clients: summarise(rows), loaderStartupMsMedian: startupMs };
    tables.push(
      `${formatTable('Start-up: a 4 KiB artifact, 15 alternating rounds', summarise(rows))}\nloader process start to first request (startupMs, median): ${startupMs === undefined ? 'not reported by this build' : `${startupMs.toFixed(0)} ms`} (target <= 80 ms)`,
    );
  }

  if (scenarios.has('resume') && tools.curl) {
    const resumeSize = 64 * mib;
    const file = await artifact(resumeSize);
    const results = await resumeCost(
      context,
      server.origin,
      { sizeBytes: resumeSize, sha256: file.sha256, output },
      file.path,
    );
    summaries.resume = results;
    tables.push(
      `\nA reset at 50% of ${format(resumeSize)}: bytes the server sent, as a multiple of the artifact\n${results.map((r) => `- ${r.client}: ${r.sentRatio.toFixed(2)}x (exit ${r.exitCode})`).join('\n')}`,
    );
  }

  if (scenarios.has('replicas')) {
    const replicaSize = 16 * mib;
    const file = await artifact(replicaSize);
    const replicaDownload = downloadOf(server.origin, file, replicaSize);
    const results = await burst(withCurl([loader(1), curl]), 16, replicaDownload);
    summaries.replicas = results;
    tables.push(
      `\n16 replicas at once, ${format(replicaSize)} each: until the last is done (median of the 16)\n${results.map((r) => `- ${r.client}: ${r.allDoneMs.toFixed(0)} ms (${r.medianMs.toFixed(0)} ms)`).join('\n')}`,
    );
  }

  if (scenarios.has('floor')) {
    const small = await artifact(4096);
    const medium = sizeBytes === 64 * mib ? main : await artifact(64 * mib);
    const nginx = tools.nginx ? await startNginx(work, served) : undefined;
    try {
      const { rows, figures } = await floor(
        context,
        {
          small: downloadOf(server.origin, small, 4096),
          medium: downloadOf(server.origin, medium, 64 * mib),
          large: downloadOf(nginx?.origin ?? server.origin, main, sizeBytes),
          largeServer: nginx ? 'nginx (sendfile)' : 'runtime-loader serve',
        },
        { startRounds: 15, withCurl: tools.curl !== undefined },
      );
      summaries.floor = { rows, figures };
      tables.push(formatFloor(rows, 15));
      goals.push(...loaderGoalRows(figures));
    } finally {
      await nginx?.stop();
      if (medium !== main) await rm(join(served, medium.path), { force: true });
    }
  }

  if (scenarios.has('signature')) {
    const nginx = tools.nginx ? await startNginx(work, served) : undefined;
    // Paced as an object store paces a stream: the loader then has CPU to spare.
    const pacedBytesPerSecond = 200 * mib;
    const paced = await startServeProcess({
      dir: served,
      secretFile,
      args: ['--rate-per-connection', String(pacedBytesPerSecond), ...ownAddresses],
    });
    try {
      const sources = [
        { name: 'serve', origin: server.origin },
        ...(nginx === undefined ? [] : [{ name: 'nginx', origin: nginx.origin }]),
        { name: `serve at ${format(pacedBytesPerSecond)}/s`, origin: paced.origin },
      ];
      const { summary, table } = await signatureCost(
        context,
        sources,
        { path: main.path, localPath: join(served, main.path) },
        download,
        `Publisher signature: ${format(sizeBytes)} with and without ARTIFACT_PUBLIC_KEY and a prehashed minisign (ED) signature, from ${sources.map((source) => source.name).join(' and ')}, ${rounds} alternating rounds after a warm-up`,
      );
      summaries.signature = summary;
      tables.push(table);
    } finally {
      await nginx?.stop();
      await paced.stop();
    }
  }

  if (scenarios.has('herd')) {
    const file = herdSizeBytes === sizeBytes ? main : await artifact(herdSizeBytes);
    const results: HerdResult[] = [];
    // A server of its own, so that its peak memory is the herd's.
    const herdServer = await startServeProcess({
      dir: served,
      secretFile,
      ...asInImage,
      args: [
        ...(flags['herd-max-transfers'] ? ['--max-transfers', flags['herd-max-transfers']] : []),
        ...ownAddresses,
      ],
    });
    try {
      results.push(
        await herd(
          context,
          { name: 'runtime-loader serve', pid: herdServer.pid },
          loader(1),
          herdCount,
          downloadOf(herdServer.origin, file, herdSizeBytes),
        ),
      );
    } finally {
      await herdServer.stop();
    }
    const busy = herdServer.lines.filter((line) => line.includes('"status":503')).length;
    if (tools.nginx) {
      const nginx = await startNginx(work, served);
      try {
        results.push(
          await herd(
            context,
            { name: 'nginx', pid: nginx.pid },
            loader(1),
            herdCount,
            downloadOf(nginx.origin, file, herdSizeBytes),
          ),
        );
      } finally {
        await nginx.stop();
      }
    }
    summaries.herd = { results, serve503: busy };
    const bound = flags['herd-max-transfers']
      ? `--max-transfers ${flags['herd-max-transfers']}`
      : 'default bound';
    tables.push(
      `${formatHerd(results, herdSizeBytes)}\nserve answered 503 (busy) ${busy} times with ${bound === 'default bound' ? 'its default bound' : bound}`,
    );
    const [serveHerd, nginxHerd] = results;
    if (serveHerd !== undefined)
      goals.unshift(...serveGoalRows(serveHerd, nginxHerd, herdSizeBytes / mib, bound));
  }

  if (scenarios.has('oci-herd')) {
    const cases = await ociHerd(context, work, herdCount, herdSizeBytes);
    summaries.ociHerd = cases;
    tables.push(formatOciHerd(cases, herdSizeBytes));
  }
} finally {
  await server.stop();
  await cappedServer.stop();
  await rm(work, { recursive: true, force: true });
  await rm(compileCacheDir, { recursive: true, force: true });
  process.stderr.write('\r\x1b[K');
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
  kernel: release(),
  node: process.version,
  curl: tools.curl,
  aria2c: tools.aria2c,
  nginx: tools.nginx ? nginxVersion() : undefined,
  loadAverage: loadavg()
    .map((value) => value.toFixed(2))
    .join(' '),
};
if (goals.length > 0) tables.push(formatGoals(goals));
const printed = [
  `runtime-loader bench, ${startedAt.toISOString()}: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, node ${machine.node}`,
  `clients: ${[machine.curl, machine.aria2c, machine.nginx].filter(Boolean).join('; ')}`,
  `load average at the start: ${startLoad}; at the end: ${machine.loadAverage}`,
  ...tables,
].join('\n');
console.log(printed);
await mkdir(dirname(jsonPath), { recursive: true });
await writeFile(
  jsonPath,
  `${JSON.stringify({ startedAt, startLoad, machine, options: flags, summaries, goals, runs: context.runs }, null, 2)}\n`,
);
if (savedPath !== undefined) {
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  await writeFile(
    `${savedPath}.md`,
    `# \`${command}\`: the tables as printed\n\n\`\`\`\n${printed}\n\`\`\`\n\nEvery run: [${savedPath.split('/').at(-1)}.json](${savedPath.split('/').at(-1)}.json)\n`,
  );
}
console.log(
  `\nevery run: ${jsonPath}${savedPath === undefined ? '' : ` (tables: ${savedPath}.md)`}`,
);
for (const line of missing) console.log(`!! ${line}`);

/** nginx prints its version on stderr. */
function nginxVersion(): string | undefined {
  const run = spawnSync(nginxPath, ['-v'], { encoding: 'utf8' });
  return run.stderr?.trim() || undefined;
}

function format(bytes: number): string {
  if (bytes % (1024 * mib) === 0) return `${bytes / (1024 * mib)} GiB`;
  if (bytes % mib === 0) return `${bytes / mib} MiB`;
  return `${bytes} bytes`;
}
