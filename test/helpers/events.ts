// Reading a loader run: its JSON events, and a description of it for assertion messages.
import assert from 'node:assert/strict';
import type { LoaderEvent, LoaderRun } from './run-loader.ts';

/** The exit code and both streams, for the message of a failed assertion. */
export function describeRun(run: LoaderRun): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout}--- stderr ---\n${run.stderr}`;
}

/** Every event with this name, in order. */
export function eventsNamed(run: LoaderRun, name: string): LoaderEvent[] {
  return run.events.filter((event) => event.event === name);
}

/** The first event with this name; fails when there is none. */
export function firstEventNamed(run: LoaderRun, name: string): LoaderEvent {
  const found = run.events.find((event) => event.event === name);
  assert.ok(found, `no ${name} event in:\n${run.stdout}\n${run.stderr}`);
  return found;
}

/** The one `done` or `failed` event; fails unless there is exactly one. */
export function finalEvent(run: LoaderRun): LoaderEvent {
  const finals = run.events.filter((event) => event.event === 'done' || event.event === 'failed');
  assert.equal(finals.length, 1, `exactly one done/failed event\n${describeRun(run)}`);
  const [final] = finals;
  assert.ok(final);
  return final;
}

/** The last event of the run, whatever its name; fails when there are none. */
export function lastEvent(run: LoaderRun): LoaderEvent {
  const last = run.events.at(-1);
  assert.ok(last, `no events at all:\n${run.stdout}\n${run.stderr}`);
  return last;
}
