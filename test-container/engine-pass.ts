// `.ci/run` runs the container tests once per engine. A file that belongs to one
// engine's pass describes its tests only there; elsewhere it prints a loud banner
// and a skipped test naming the pass that runs it. In CI, no engine at all fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectEngine, type Engine, type EngineName } from '../scripts/engine.ts';

export const inCi =
  process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

/** Calls `describeTests` with the engine when it is `wanted`; says loudly why not otherwise. */
export async function forEnginePass(
  wanted: EngineName,
  title: string,
  describeTests: (engine: Engine) => void,
): Promise<void> {
  const detection = await detectEngine();
  if (detection.ok && detection.engine.name === wanted) {
    describeTests(detection.engine);
    return;
  }
  const why = detection.ok
    ? `the engine under test is ${detection.engine.name}; this runs in the ${wanted} pass (CONTAINER_ENGINE=${wanted})`
    : detection.reason;
  // Asked for (CI, or CONTAINER_ENGINE named) but not working: a failure, not a skip.
  if (!detection.ok && (inCi || (process.env.CONTAINER_ENGINE ?? '') !== '')) {
    test(`${title}: ${wanted} is required in CI`, () => assert.fail(why));
    return;
  }
  console.warn(`\n${'!'.repeat(78)}\nNOT RUN HERE: ${title}: ${why}\n${'!'.repeat(78)}\n`);
  test(title, { skip: why }, () => {});
}
