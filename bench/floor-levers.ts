// One lever at a time for the loader's floor: a 4 KiB download from `serve`
// (or --size),
// start to exit, with each build of the loader in alternation (A B A B ...,
// whole processes, one warm-up round left out), each with its own warmed
// compile cache and the image's V8 flag, and `node -e 0` beside them. Prints
// the median wall time, the median and largest peak RSS (GNU time) and the
// load average before and after. For the note in docs/performance.md;
// `npm run bench -- --scenarios floor` is the one to quote for the goals.
//
//   node bench/floor-levers.ts --rounds 20 \
//     --variant 'before|.tmp/dist-base/runtime-loader.mjs' \
//     --variant 'after|dist/runtime-loader.mjs'
//   A variant: name|bundle|node flags (empty: the image's). No bundle: the flags
//   name what to run (e.g. --snapshot-blob FILE).

import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startServeProcess } from '../scripts/loader-process.ts';
import { parseByteSize } from '../src/options/sizes.ts';
import { leverWorkspace } from './artifact.ts';
import { imageNodeArgs, loader } from './clients.ts';
import { measure, type Sample } from './measure.ts';
import { type BenchContext, signedUrl } from './scenarios.ts';
import { median } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '20' },
    'no-node': { type: 'boolean', default: false },
    size: { type: 'string', default: '4KiB' },
  },
});
const variants = flags.variant.map((text) => {
  const [name = '', bundle = '', nodeArgs = ''] = text.split('|');
  const words = nodeArgs.split(' ').filter(Boolean);
  return {
    name,
    bundle: bundle === '' ? [] : [resolve(bundle)],
    nodeArgs: words.length > 0 ? words : imageNodeArgs,
  };
});
const rounds = Number(flags.rounds);
const sizeBytes = parseByteSize(flags.size);

const { work, served, secret, secretFile, sha256 } = await leverWorkspace(
  'floor-levers',
  sizeBytes,
);
const context: BenchContext = { secret, rounds, runs: [], progress: () => {} };
const server = await startServeProcess({ dir: served, secretFile });
const download = {
  url: signedUrl(context, server.origin, '/artifact.bin'),
  sizeBytes,
  sha256,
  output: join(work, 'out', 'app.jar'),
};
const base = loader(1);
const clients = [
  ...(flags['no-node']
    ? []
    : [{ name: 'node -e 0', command: () => ({ file: process.execPath, args: ['-e', '0'] }) }]),
  ...variants.map((variant, index) => ({
    name: variant.name,
    command: () => {
      const command = base.command(download);
      return {
        file: process.execPath,
        args: [...variant.nodeArgs, ...variant.bundle],
        env: { ...command.env, NODE_COMPILE_CACHE: join(work, `cache-${index}`) },
      };
    },
  })),
];
const samples = new Map<string, Sample[]>(clients.map((client) => [client.name, []]));
const loadBefore = loadavg();
try {
  for (let round = 0; round <= rounds; round += 1) {
    for (const client of clients) {
      await rm(download.output, { force: true });
      const sample = await measure(client.command());
      if (sample.exitCode !== 0) throw new Error(`${client.name} exited ${sample.exitCode}`);
      if (round > 0) samples.get(client.name)?.push(sample);
    }
    process.stderr.write(`\r\x1b[Kround ${round}/${rounds}`);
  }
} finally {
  process.stderr.write('\r\x1b[K');
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
const loadAfter = loadavg();
const mib = (kib: number | undefined) => (kib ?? Number.NaN) / 1024;
console.log(
  `${rounds} rounds of ${flags.size}; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')} → ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`,
);
console.log('| variant | wall (median) | CPU user+sys (median) | peak RSS median / max |');
console.log('|---|---|---|---|');
for (const [name, list] of samples) {
  const rss = list.map((s) => mib(s.maxRssKiB));
  console.log(
    `| ${name} | ${median(list.map((s) => s.wallMs)).toFixed(1)} ms | ${median(list.map((s) => (s.userMs ?? 0) + (s.systemMs ?? 0))).toFixed(0)} ms | ${median(rss).toFixed(1)} / ${Math.max(...rss).toFixed(1)} MiB |`,
  );
}
