// Benchmarks (`npm run bench`): the loader against a curl one-liner on the same
// loopback server. Timings live here, never in pass/fail tests: the machines
// are shared and noisy, so each figure is a median of several runs and the
// comparison is a ratio from the same run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ArtifactServer, startArtifactServer } from '../test/helpers/fault-server.ts';
import { loaderPath } from '../test/helpers/run-loader.ts';
import { makeTempDir, randomBytesBuffer } from '../test/helpers/tmp.ts';

const mib = 1024 * 1024;
const timeBinary = '/usr/bin/time';

interface Sample {
  code: number | null;
  wallMs: number;
  maxRssKiB: number | undefined;
}

/** Runs a command; peak RSS comes from GNU time when it is installed. */
function measure(command: string, args: string[], env: Record<string, string>): Promise<Sample> {
  const withTime = existsSync(timeBinary);
  const [file, argv] = withTime
    ? [timeBinary, ['-f', '__maxrss=%M', command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, argv, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /__maxrss=(\d+)/.exec(stderr);
      resolve({
        code,
        wallMs: performance.now() - started,
        maxRssKiB: match ? Number(match[1]) : undefined,
      });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function loaderRun(
  server: ArtifactServer,
  size: number,
  output: string,
  extraEnv: Record<string, string> = {},
): Promise<Sample> {
  return measure(process.execPath, [loaderPath], {
    ARTIFACT_URL: server.url(),
    ARTIFACT_EXPECTED_SIZE: String(size),
    ARTIFACT_PATH: output,
    LOADER_VERIFY_JAR: 'false',
    LOADER_BACKOFF_BASE_SECONDS: '0.05',
    ...extraEnv,
  });
}

function curlRun(
  server: ArtifactServer,
  output: string,
  extraArgs: string[] = [],
): Promise<Sample> {
  return measure('curl', ['-fsS', '-o', output, ...extraArgs, server.url()], {});
}

/** The same guarantees as the loader's by hand: the digest of what was written, and fsync. */
function curlVerifiedRun(server: ArtifactServer, output: string): Promise<Sample> {
  const script = 'curl -fsS -o "$1" "$2" && sha256sum "$1" >/dev/null && sync "$1"';
  return measure('sh', ['-c', script, 'sh', output, server.url()], {});
}

function assertOk(sample: Sample, what: string): void {
  if (sample.code !== 0) throw new Error(`${what} exited ${sample.code}`);
}

const format = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  if (!existsSync(loaderPath)) throw new Error('run `npm run build` first');
  const tmp = await makeTempDir('bench-');
  const server = await startArtifactServer();
  const rows: string[] = [];
  try {
    // 1. Start-up: a tiny artifact, so the time is the process, not the transfer.
    server.setArtifact(randomBytesBuffer(4096));
    const small = { loader: [] as number[], curl: [] as number[] };
    for (let i = 0; i < 15; i += 1) {
      const a = await loaderRun(server, 4096, join(tmp.path, 'small.jar'));
      assertOk(a, 'loader');
      small.loader.push(a.wallMs);
      const b = await curlRun(server, join(tmp.path, 'small-curl.jar'));
      assertOk(b, 'curl');
      small.curl.push(b.wallMs);
    }
    rows.push(
      `start-up, 4 KiB artifact, median of 15: loader ${format(median(small.loader))}, curl ${format(median(small.curl))}, ratio ${(median(small.loader) / median(small.curl)).toFixed(1)}x`,
    );

    // 2. Throughput and memory: a large artifact; RSS must stay flat whatever the size.
    for (const sizeMiB of [64, 512]) {
      const size = sizeMiB * mib;
      server.setArtifact(randomBytesBuffer(size));
      const loaderTimes: number[] = [];
      const curlTimes: number[] = [];
      const curlVerifiedTimes: number[] = [];
      let rss = 0;
      for (let i = 0; i < 3; i += 1) {
        const a = await loaderRun(server, size, join(tmp.path, 'big.jar'));
        assertOk(a, 'loader');
        loaderTimes.push(a.wallMs);
        rss = Math.max(rss, a.maxRssKiB ?? 0);
        const b = await curlRun(server, join(tmp.path, 'big-curl.jar'));
        assertOk(b, 'curl');
        curlTimes.push(b.wallMs);
        const c = await curlVerifiedRun(server, join(tmp.path, 'big-curl.jar'));
        assertOk(c, 'curl + sha256sum + sync');
        curlVerifiedTimes.push(c.wallMs);
      }
      const loaderMiBs = sizeMiB / (median(loaderTimes) / 1000);
      const curlMiBs = sizeMiB / (median(curlTimes) / 1000);
      rows.push(
        `${sizeMiB} MiB, median of 3: loader ${format(median(loaderTimes))} (${loaderMiBs.toFixed(0)} MiB/s, peak RSS ${(rss / 1024).toFixed(0)} MiB), curl ${format(median(curlTimes))} (${curlMiBs.toFixed(0)} MiB/s), time ratio ${(median(loaderTimes) / median(curlTimes)).toFixed(2)}x; curl + sha256sum + sync (same guarantees) ${format(median(curlVerifiedTimes))}, ratio ${(median(loaderTimes) / median(curlVerifiedTimes)).toFixed(2)}x`,
      );
      await rm(join(tmp.path, 'big.jar'), { force: true });
      await rm(join(tmp.path, 'big-curl.jar'), { force: true });
    }

    // 3. A reset half-way: bytes the server had to send, loader (resumes) vs curl --retry (starts over).
    const size = 64 * mib;
    server.setArtifact(randomBytesBuffer(size));
    server.requests.length = 0;
    server.schedule({ kind: 'reset', afterBytes: size / 2 });
    // One connection: in parts, this reset would land past the end of part 0.
    assertOk(
      await loaderRun(server, size, join(tmp.path, 'resume.jar'), { LOADER_CONNECTIONS: '1' }),
      'loader',
    );
    const loaderBytes = server.requests.reduce((sum, request) => sum + request.bytesSent, 0);
    server.requests.length = 0;
    server.schedule({ kind: 'reset', afterBytes: size / 2 });
    const curlSample = await curlRun(server, join(tmp.path, 'resume-curl.jar'), [
      '--retry',
      '3',
      '--retry-all-errors',
      '--retry-delay',
      '0',
    ]);
    const curlBytes = server.requests.reduce((sum, request) => sum + request.bytesSent, 0);
    rows.push(
      `reset at 50% of 64 MiB: server sent ${(loaderBytes / size).toFixed(2)}x the artifact to the loader (Range resume), ${(curlBytes / size).toFixed(2)}x to curl --retry (exit ${curlSample.code})`,
    );

    // 4. In parts or not: on loopback (the CPU is the limit), and with each response paced
    // the way a per-connection limit (latency, a CDN's cap) paces it.
    const partsSize = 256 * mib;
    server.setArtifact(randomBytesBuffer(partsSize));
    for (const paced of [false, true]) {
      const times: Record<string, number[]> = { 1: [], 4: [] };
      for (let i = 0; i < 3; i += 1) {
        for (const connections of ['1', '4']) {
          if (paced) {
            const pacedFault = { kind: 'slow', bytesPerChunk: mib, delayMs: 20 } as const;
            server.schedule(...Array.from({ length: Number(connections) }, () => pacedFault));
          }
          const sample = await loaderRun(server, partsSize, join(tmp.path, 'parts.jar'), {
            LOADER_CONNECTIONS: connections,
          });
          assertOk(sample, `loader, ${connections} connection(s)`);
          times[connections]?.push(sample.wallMs);
        }
      }
      const [one, four] = [median(times[1] ?? []), median(times[4] ?? [])];
      rows.push(
        `256 MiB ${paced ? 'paced at 50 MiB/s per connection' : 'on loopback'}, median of 3: 1 connection ${format(one)} (${(256 / (one / 1000)).toFixed(0)} MiB/s), 4 parts ${format(four)} (${(256 / (four / 1000)).toFixed(0)} MiB/s), ratio ${(one / four).toFixed(2)}x`,
      );
    }
    await rm(join(tmp.path, 'parts.jar'), { force: true });

    // 5. Many replicas at once: N loaders against one server, as when a Deployment scales out.
    const replicas = 16;
    const burstSize = 16 * mib;
    server.setArtifact(randomBytesBuffer(burstSize));
    const burst = async (one: (i: number) => Promise<Sample>) => {
      const started = performance.now();
      const samples = await Promise.all(Array.from({ length: replicas }, (_, i) => one(i)));
      for (const sample of samples) assertOk(sample, 'burst member');
      return {
        totalMs: performance.now() - started,
        medianMs: median(samples.map((s) => s.wallMs)),
      };
    };
    const loaderBurst = await burst((i) =>
      loaderRun(server, burstSize, join(tmp.path, `replica-${i}.jar`)),
    );
    const curlBurst = await burst((i) => curlRun(server, join(tmp.path, `replica-curl-${i}.jar`)));
    rows.push(
      `${replicas} replicas at once, 16 MiB each: loader all done in ${format(loaderBurst.totalMs)} (median ${format(loaderBurst.medianMs)}), curl ${format(curlBurst.totalMs)} (median ${format(curlBurst.medianMs)}), ratio ${(loaderBurst.totalMs / curlBurst.totalMs).toFixed(2)}x`,
    );
  } finally {
    await server.close();
    await tmp.cleanup();
  }
  console.log(`runtime-loader benchmarks (node ${process.version}, ${new Date().toISOString()})`);
  for (const row of rows) console.log(`- ${row}`);
  if (!existsSync(timeBinary))
    console.log(`(peak RSS not measured: ${timeBinary} is missing; apt-get install time)`);
}

await main();
