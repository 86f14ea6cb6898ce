import { parseRegistryHosts } from '../oci/registry-hosts.ts';
import { parseBoolean, parseBooleanOrAuto, parseOneOf } from '../options/choices.ts';
import { parsePositiveInt, parsePositiveIntUpTo } from '../options/counts.ts';
import { parseSecondsToMs } from '../options/durations.ts';
import { parseByteCount } from '../options/sizes.ts';
import { defaults } from './defaults.ts';
import {
  parseArtifactAddress,
  parseArtifactUrl,
  parseImageFile,
  parseKeyText,
  parsePath,
  parseSha256,
} from './parse-values.ts';

/**
 * Every setting, once: its environment variable, the flag that mirrors it, how
 * to parse it, and its default. `--help` and the README table come from here.
 */
export interface Setting<T, D = T | undefined> {
  readonly env: string;
  readonly flag: string;
  /**
   * For boolean settings: the flag that turns it off (`--no-verify-jar`). The
   * two flags then take no value and stand for `true` and `false`, parsed by
   * `parse` like the variable's value.
   */
  readonly negatedFlag?: string;
  readonly valueName: string;
  /** One of the parsers of src/options/ (or parse-values.ts); it throws what was expected. */
  readonly parse: (raw: string) => T;
  readonly defaultValue: D;
  readonly description: string;
}

/** More connections than this would only add load on the server, not speed. */
export const maxConnections = 16;

function setting<T, D extends T | undefined>(spec: Setting<T, D>): Setting<T, D> {
  return spec;
}

const table = {
  url: setting({
    env: 'ARTIFACT_URL',
    flag: 'url',
    valueName: 'URL',
    parse: parseArtifactAddress,
    defaultValue: undefined,
    description:
      'Signed http(s) URL of the artifact, or oci://REGISTRY[:PORT]/REPOSITORY:TAG (or @sha256:DIGEST) in an OCI registry (required, or ARTIFACT_URL_FILE). Only scheme://host/path is ever logged.',
  }),
  urlFile: setting({
    env: 'ARTIFACT_URL_FILE',
    flag: 'url-file',
    valueName: 'PATH',
    parse: parsePath,
    defaultValue: undefined,
    description:
      'Instead of ARTIFACT_URL: a file holding the URL (a Secret volume kept current). Never logged.',
  }),
  expectedSizeBytes: setting({
    env: 'ARTIFACT_EXPECTED_SIZE',
    flag: 'expected-size',
    valueName: 'BYTES',
    parse: parseByteCount,
    defaultValue: undefined,
    description:
      'Exact size of the artifact in bytes (required for http(s); for oci:// optional, the manifest gives it).',
  }),
  outputPath: setting({
    env: 'ARTIFACT_PATH',
    flag: 'output',
    valueName: 'PATH',
    parse: parsePath,
    defaultValue: defaults.outputPath,
    description: 'Where to publish the artifact.',
  }),
  sha256: setting({
    env: 'ARTIFACT_SHA256',
    flag: 'sha256',
    valueName: 'HEX',
    parse: parseSha256,
    defaultValue: undefined,
    description:
      'Expected SHA-256 (64 hex characters, or sha256:<hex>). Enables skipping a re-download.',
  }),
  publicKey: setting({
    env: 'ARTIFACT_PUBLIC_KEY',
    flag: 'public-key',
    valueName: 'KEYS',
    parse: parseKeyText,
    defaultValue: undefined,
    description:
      "The publisher's public keys (minisign, or PEM ECDSA P-256 / Ed25519; one a line or block): the artifact must carry a signature by one of them (ARTIFACT_SIGNATURE_URL).",
  }),
  publicKeyFile: setting({
    env: 'ARTIFACT_PUBLIC_KEY_FILE',
    flag: 'public-key-file',
    valueName: 'PATH',
    parse: parsePath,
    defaultValue: undefined,
    description:
      'Instead of ARTIFACT_PUBLIC_KEY: a file holding the keys (a ConfigMap or Secret volume).',
  }),
  signatureUrl: setting({
    env: 'ARTIFACT_SIGNATURE_URL',
    flag: 'signature-url',
    valueName: 'URL',
    parse: parseArtifactUrl,
    defaultValue: undefined,
    description:
      "Signed http(s) URL of the publisher's detached signature (minisign, cosign); fetched before the artifact. Only scheme://host/path is ever logged.",
  }),
  verifyJar: setting({
    env: 'LOADER_VERIFY_JAR',
    flag: 'verify-jar',
    negatedFlag: 'no-verify-jar',
    valueName: 'true|false|auto',
    parse: parseBooleanOrAuto,
    defaultValue: defaults.verifyJar,
    description:
      'Check the zip/JAR structure before publishing. auto: bytes that look like a zip must be a sound one; other bytes pass with a warning. true: must be a JAR.',
  }),
  keepVerified: setting({
    env: 'LOADER_KEEP_VERIFIED',
    flag: 'keep-verified',
    negatedFlag: 'no-keep-verified',
    valueName: 'BOOL',
    parse: parseBoolean,
    defaultValue: defaults.keepVerified,
    description:
      'Keep the file an earlier run verified (its record matches) when the server answers 401/403 or cannot be reached; exit 0 with a warning.',
  }),
  logFormat: setting({
    env: 'LOADER_LOG_FORMAT',
    flag: 'log-format',
    valueName: 'json|text',
    parse: parseOneOf(['json', 'text'] as const),
    defaultValue: undefined,
    description: 'Log format (default: text on a terminal, json otherwise).',
  }),
  deadlineMs: setting({
    env: 'LOADER_DEADLINE_SECONDS',
    flag: 'deadline-seconds',
    valueName: 'SECONDS',
    parse: parseSecondsToMs,
    defaultValue: defaults.deadlineMs,
    description: 'Overall time limit for the whole run, retries included.',
  }),
  connectTimeoutMs: setting({
    env: 'LOADER_CONNECT_TIMEOUT_SECONDS',
    flag: 'connect-timeout-seconds',
    valueName: 'SECONDS',
    parse: parseSecondsToMs,
    defaultValue: defaults.connectTimeoutMs,
    description: 'Time limit for one TCP/TLS connection to be established.',
  }),
  stallTimeoutMs: setting({
    env: 'LOADER_STALL_TIMEOUT_SECONDS',
    flag: 'stall-timeout-seconds',
    valueName: 'SECONDS',
    parse: parseSecondsToMs,
    defaultValue: defaults.stallTimeoutMs,
    description: 'Abort an attempt when no byte arrives for this long (headers or body).',
  }),
  maxAttempts: setting({
    env: 'LOADER_MAX_ATTEMPTS',
    flag: 'max-attempts',
    valueName: 'N',
    parse: parsePositiveInt,
    defaultValue: defaults.maxAttempts,
    description: 'Attempts in all, the first included; per part for a download in parts.',
  }),
  connections: setting({
    env: 'LOADER_CONNECTIONS',
    flag: 'connections',
    valueName: 'N',
    parse: parsePositiveIntUpTo(maxConnections),
    defaultValue: defaults.connections,
    description: `Connections for a large artifact, fetched in parts (1 to ${maxConnections}; 1 = never in parts).`,
  }),
  parallelThresholdBytes: setting({
    env: 'LOADER_PARALLEL_THRESHOLD_BYTES',
    flag: 'parallel-threshold-bytes',
    valueName: 'BYTES',
    parse: parseByteCount,
    defaultValue: defaults.parallelThresholdBytes,
    description:
      'Artifacts of at least this size are fetched in parts when the server allows ranges.',
  }),
  backoffBaseMs: setting({
    env: 'LOADER_BACKOFF_BASE_SECONDS',
    flag: 'backoff-base-seconds',
    valueName: 'SECONDS',
    parse: parseSecondsToMs,
    defaultValue: defaults.backoffBaseMs,
    description: 'First retry delay ceiling; doubles each attempt (full jitter).',
  }),
  backoffMaxMs: setting({
    env: 'LOADER_BACKOFF_MAX_SECONDS',
    flag: 'backoff-max-seconds',
    valueName: 'SECONDS',
    parse: parseSecondsToMs,
    defaultValue: defaults.backoffMaxMs,
    description: 'Cap on any retry delay, Retry-After included.',
  }),
  registryPlainHttp: setting({
    env: 'LOADER_REGISTRY_PLAIN_HTTP',
    flag: 'registry-plain-http',
    valueName: 'HOST:PORT,...',
    parse: parseRegistryHosts,
    defaultValue: undefined,
    description:
      'Registries (and mirrors) spoken to over plain HTTP instead of HTTPS; loopback is not special.',
  }),
  registryAuthFile: setting({
    env: 'LOADER_REGISTRY_AUTH_FILE',
    flag: 'registry-auth-file',
    valueName: 'PATH',
    parse: parsePath,
    defaultValue: undefined,
    description:
      'Registry credentials: a Docker config.json (a mounted kubernetes.io/dockerconfigjson Secret). Default: $DOCKER_CONFIG/config.json when DOCKER_CONFIG is set, else anonymous.',
  }),
  registryMirrors: setting({
    env: 'LOADER_REGISTRY_MIRRORS',
    flag: 'registry-mirrors',
    valueName: 'HOST[:PORT],...',
    parse: parseRegistryHosts,
    defaultValue: undefined,
    description:
      'Mirrors tried in order before the registry for what is addressed by digest, each with ?ns=REGISTRY; one that fails is dropped for the run.',
  }),
  ociFile: setting({
    env: 'LOADER_OCI_FILE',
    flag: 'oci-file',
    valueName: 'PATH',
    parse: parseImageFile,
    defaultValue: defaults.ociFile,
    description:
      "For an oci:// image: the JAR's path in it (extracted from its layers); for an artifact pushed by oras: the file name when there are several.",
  }),
  terminationLogPath: setting({
    env: 'LOADER_TERMINATION_LOG',
    flag: 'termination-log',
    valueName: 'PATH',
    parse: parsePath,
    defaultValue: defaults.terminationLogPath,
    description:
      'Kubernetes termination message file; written only if it is an existing, writable regular file.',
  }),
} as const;

type Table = typeof table;
export type SettingKey = keyof Table;
type TypeOf<K extends SettingKey> = Table[K] extends Setting<infer T, unknown> ? T : never;
type DefaultOf<K extends SettingKey> = Table[K] extends Setting<unknown, infer D> ? D : never;

/** A setting's value once read: its parser's type, or undefined only when it has no default. */
export type SettingValue<K extends SettingKey> = TypeOf<K> | DefaultOf<K>;

/**
 * The table, typed per key (a mapped type over it), so a read of one key has
 * that setting's type: `read('deadlineMs')` is a number, with no cast.
 */
export const settings: { readonly [K in SettingKey]: Setting<TypeOf<K>, DefaultOf<K>> } = table;

/** The table as a list, for what treats every setting alike (flags, --help, unknown names). */
export const settingList: readonly Setting<unknown, unknown>[] = Object.values(settings);
