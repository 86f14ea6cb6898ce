// One lever at a time: the herd (N loaders at once) against `serve` as built
// in several ways, and against nginx, in alternation (A B C A B C ...), a
// fresh server each time. Prints each herd's p95 and the server's idle and
// peak RSS, then the medians per variant. For the note in docs/performance.md;
// `npm run bench` is the one to quote for the goals.
//
//   node bench/serve-levers.ts --rounds 3 --herd 200 \
//     --variant 'base|.tmp/dist-base/runtime-loader.mjs||' \
//     --variant 'pool|dist/runtime-loader.mjs|--max-semi-space-size=1|--max-transfers 32' \
//     --variant nginx
//   A variant: name|bundle|node flags|serve flags (empty fields: the defaults), or `nginx`.

import { rm } from 'node:fs/promises';

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServeProcess } from '../scripts/loader-process.ts';
import { parseByteSize } from '../src/options/sizes.ts';
import { leverWorkspace } from './artifact.ts';
import { compileCacheDir, loader } from './clients.ts';
import { type HerdResult, herd } from './herd.ts';
import { startNginx } from './nginx.ts';
import { type BenchContext, signedUrl } from './scenarios.ts';
import { median } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '3' },
    herd: { type: 'string', default: '200' },
    'herd-size': { type: 'string', default: '16MiB' },
  },
});
const variants = flags.variant.map((text) => {
  const [name = '', bundle = '', nodeArgs = '', serveArgs = ''] = text.split('|');
  const words = (value: string) => value.split(' ').filter(Boolean);
  return { name, bundle, nodeArgs: words(nodeArgs), serveArgs: words(serveArgs) };
});
const rounds = Number(flags.rounds);
const count = Number(flags.herd);
const sizeBytes = parseByteSize(flags['herd-size']);

const { work, served, secret, secretFile, sha256 } = await leverWorkspace(
  'serve-levers',
  sizeBytes,
);
const context: BenchContext = {
  secret,
  rounds,
  runs: [],
  progress: (text) => process.stderr.write(`\r\x1b[K${text}`),
};
const results = new Map<string, HerdResult[]>(variants.map((v) => [v.name, []]));
const download = (origin: string) => ({
  url: signedUrl(context, origin, '/artifact.bin'),
  sizeBytes,
  sha256,
  output: join(work, 'out', 'app.jar'),
});
try {
  for (let round = 1; round <= rounds; round += 1) {
    for (const variant of variants) {
      let result: HerdResult;
      let busy = 0;
      if (variant.name === 'nginx') {
        const nginx = await startNginx(work, served);
        try {
          result = await herd(
            context,
            { name: 'nginx', pid: nginx.pid },
            loader(1),
            count,
            download(nginx.origin),
          );
        } finally {
          await nginx.stop();
        }
      } else {
        const server = await startServeProcess({
          dir: served,
          secretFile,
          ...(variant.bundle === '' ? {} : { bundle: resolve(variant.bundle) }),
          nodeArgs: variant.nodeArgs,
          args: ['--max-transfers-per-client', '999999', ...variant.serveArgs],
        });
        try {
          result = await herd(
            context,
            { name: variant.name, pid: server.pid },
            loader(1),
            count,
            download(server.origin),
          );
        } finally {
          await server.stop();
        }
        busy = server.lines.filter((line) => line.includes('"status":503')).length;
      }
      results.get(variant.name)?.push(result);
      process.stderr.write('\r\x1b[K');
      console.log(
        `round ${round} ${variant.name}: ${result.succeeded}/${count} ok, p50 ${(result.p50Ms / 1000).toFixed(1)} s, p95 ${(result.p95Ms / 1000).toFixed(1)} s, RSS ${result.serverIdleRssMiB?.toFixed(0)} → ${result.serverPeakRssMiB?.toFixed(0)} MiB, 503s ${busy}, loaders CPU ${result.loaderCpuSeconds.toFixed(0)} s`,
      );
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
  await rm(compileCacheDir, { recursive: true, force: true });
}
console.log(
  '\n| variant | p95 (median) | p95 per round | RSS idle → peak (median) | growth per round |',
);
console.log('|---|---|---|---|---|');
for (const [name, list] of results) {
  const p95 = list.map((r) => r.p95Ms / 1000);
  const growth = list.map((r) => (r.serverPeakRssMiB ?? 0) - (r.serverIdleRssMiB ?? 0));
  console.log(
    `| ${name} | ${median(p95).toFixed(1)} s | ${p95.map((v) => v.toFixed(1)).join(', ')} | ${median(list.map((r) => r.serverIdleRssMiB ?? 0)).toFixed(0)} → ${median(list.map((r) => r.serverPeakRssMiB ?? 0)).toFixed(0)} MiB | ${growth.map((v) => `+${v.toFixed(0)}`).join(', ')} |`,
  );
}
