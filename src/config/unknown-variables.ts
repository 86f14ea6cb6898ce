import { nearestName } from '../options/nearest-name.ts';
import { settingList } from './settings.ts';
import type { Environment } from './types.ts';

/** A variable named like a setting (`ARTIFACT_*`, `LOADER_*`) that is none. */
export interface UnknownVariable {
  readonly name: string;
  /** The setting whose name is fewest edits away. */
  readonly nearest: string;
  /** The nearest is close enough to be a likely typo of it. */
  readonly likely: boolean;
}

/** The settings' prefixes, in any case: `loader_deadline_seconds` is a mistake too. */
const settingPrefix = /^(ARTIFACT|LOADER)_/i;

/**
 * The variables the kubelet gives a pod for each Service of its namespace
 * (unless the pod sets `enableServiceLinks: false`): a Service named like a
 * prefix would otherwise be warned about as a typo. Its name upper-cased,
 * `-` as `_`: `{NAME}_SERVICE_HOST`, `{NAME}_SERVICE_PORT[_{PORTNAME}]`,
 * `{NAME}_PORT`, `{NAME}_PORT_{n}_{TCP|UDP|SCTP}[_PROTO|_PORT|_ADDR]`.
 */
const serviceLink =
  /^[A-Z0-9_]+_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT(?:_[0-9]+_(?:TCP|UDP|SCTP)(?:_PROTO|_PORT|_ADDR)?)?)$/;

/** Every setting's variable name, from the settings table (so a new setting is known at once). */
export const knownVariables: readonly string[] = settingList.map((spec) => spec.env);

/**
 * The variables that look like settings but are not (nor a Service's link),
 * each with the nearest setting when it is a likely typo. Only names are
 * read: a value may be a signed URL, so nothing here ever holds or prints one.
 */
export function findUnknownVariables(env: Environment): UnknownVariable[] {
  return Object.keys(env)
    .filter(
      (name) =>
        settingPrefix.test(name) && !knownVariables.includes(name) && !serviceLink.test(name),
    )
    .sort()
    .flatMap((name) => {
      const nearest = nearestName(name, knownVariables);
      return nearest === undefined ? [] : [{ name, nearest: nearest.name, likely: nearest.likely }];
    });
}

/** One sentence about an unknown variable, for a warning or a configuration error. */
export function describeUnknownVariable({ name, nearest, likely }: UnknownVariable): string {
  return likely
    ? `${name} is not a setting and is ignored: did you mean ${nearest}?`
    : `${name} is not a setting and is ignored (the closest is ${nearest}; --help lists them all)`;
}
