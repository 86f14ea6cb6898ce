// `.ci/run` runs the container tests once per engine. A file that belongs to one
// engine's pass describes its tests only there; elsewhere it prints a loud banner
// and a skipped test naming the pass that runs it. In CI, no engine at all fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectEngine, type Engine, type EngineName } from '../scripts/engine.ts';

export const inCi =
  process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());

/** In CI, or when CONTAINER_ENGINE names one, a missing engine is a failure, not a skip. */
export const engineRequired = inCi || (process.env.CONTAINER_ENGINE ?? '') !== '';

/**
 * The `skip` option of a test: `why` when it does not run here, after a loud banner
 * naming it (node:test's own mark of a skip is one line among hundreds); false when it runs.
 */
export function skipLoudly(title: string, why: string | false): string | false {
  if (why !== false) {
    console.warn(`\n${'!'.repeat(78)}\nNOT RUN HERE: ${title}: ${why}\n${'!'.repeat(78)}\n`);
  }
  return why;
}

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
  if (!detection.ok && engineRequired) {
    test(`${title}: ${wanted} is required in CI`, () => assert.fail(why));
    return;
  }
  test(title, { skip: skipLoudly(title, why) }, () => {});
}
