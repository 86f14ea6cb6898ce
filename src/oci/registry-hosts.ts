/**
 * A list of registries as a setting names them: `host[:port][,…]`, each
 * normalised as a reference's registry is (parseRegistryHost), in the order
 * given, duplicates dropped. LOADER_REGISTRY_PLAIN_HTTP (the registries
 * spoken to over plain HTTP) and LOADER_REGISTRY_MIRRORS (tried in order
 * before the registry) are both such lists.
 */
import { InvalidValueError, problemOf } from '../options/expected.ts';
import { parseRegistryHost } from './reference.ts';

/** `host:port[,host:port…]`, empty items ignored; a Set in the order written. */
export function parseRegistryHosts(raw: string): ReadonlySet<string> {
  const registries = new Set<string>();
  for (const item of raw.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    if (item.includes('://')) {
      throw new InvalidValueError(
        `expected registries as host:port separated by commas, without a scheme, got "${item.slice(0, 80)}"`,
      );
    }
    try {
      registries.add(parseRegistryHost(item));
    } catch (error) {
      throw new InvalidValueError(problemOf(`"${item.slice(0, 80)}"`, error));
    }
  }
  if (registries.size === 0) {
    throw new InvalidValueError('expected one or more registries as host:port separated by commas');
  }
  return registries;
}
