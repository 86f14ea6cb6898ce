// Loaded into a process under study with `node --import bench/memory-sampler.ts`:
// every 20 ms one JSON line of where its memory is (V8's heap, memory outside
// it, ArrayBuffers, the kernel's RssAnon/RssFile, open descriptors) to the file named by
// MEMORY_SAMPLES, and a line per garbage collection. For profiles only; the
// bench's own figures never run with it.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

const file = process.env.MEMORY_SAMPLES;
if (file !== undefined) {
  const kib = (status: string, name: string) =>
    Number(new RegExp(`^${name}:\\s+([0-9]+) kB`, 'm').exec(status)?.[1] ?? 0);
  const sample = () => {
    const usage = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const line = {
      t: Math.round(performance.now()),
      rss: usage.rss,
      heapTotal: usage.heapTotal,
      heapUsed: usage.heapUsed,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      rssAnon: kib(status, 'RssAnon') * 1024,
      rssFile: kib(status, 'RssFile') * 1024,
      /** Open descriptors: connections (idle kept-alive ones too) and files being sent. */
      fds: readdirSync('/proc/self/fd').length,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  setInterval(sample, 20).unref();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      appendFileSync(file, `${JSON.stringify({ t: Math.round(entry.startTime), gc: kind })}\n`);
    }
  }).observe({ entryTypes: ['gc'] });
}
