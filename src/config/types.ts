import type { LogFormat } from '../log/logger.ts';
import type { OciReference } from '../oci/reference.ts';
import type { ArtifactAddress } from './parse-values.ts';
import type { KeySet } from './public-keys.ts';
import type { SettingKey, SettingValue } from './settings.ts';

export type { ArtifactAddress };

/** The environment as the edge reads it: names to values, any of them missing. */
export interface Environment {
  readonly [name: string]: string | undefined;
}

/** LOADER_VERIFY_JAR: `true`, `false` or `auto`. */
export type VerifyJar = SettingValue<'verifyJar'>;

/** Proxy settings from the conventional variables; undefined means none. */
export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string | undefined;
}

/** Where the registry credentials are read from, and how errors name it. */
export interface AuthFileLocation {
  readonly path: string;
  /** The setting or variable, then the path: `DOCKER_CONFIG (/home/u/.docker/config.json)`. */
  readonly source: string;
}

/** How an `oci://` artifact is fetched: the registry settings, read at the edge. */
export interface RegistrySettings {
  /** LOADER_REGISTRY_PLAIN_HTTP: registries and mirrors spoken to over http://. */
  readonly plainHttp: ReadonlySet<string>;
  /** LOADER_REGISTRY_MIRRORS, in order. */
  readonly mirrors: readonly string[];
  /** LOADER_REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json; undefined: anonymous pulls. */
  readonly authFile: AuthFileLocation | undefined;
  /** LOADER_OCI_FILE, absolute: `/app.jar`. */
  readonly imageFile: string;
}

/** The artifact to fetch: ARTIFACT_URL with ARTIFACT_EXPECTED_SIZE, required for a URL. */
export type ArtifactLocation =
  | { readonly kind: 'url'; readonly url: URL; readonly expectedSizeBytes: number }
  | {
      readonly kind: 'oci';
      readonly reference: OciReference;
      /** When set, the manifest's size for the JAR must be this, checked before any blob is asked for. */
      readonly expectedSizeBytes: number | undefined;
      readonly registry: RegistrySettings;
    };

/** Each setting's value as read, typed by its row in the settings table. */
type SettingValues = { readonly [K in SettingKey]: SettingValue<K> };

/** The settings the config holds as read, their types derived from the table (see settings.ts). */
type ReadAsIs = Exclude<
  SettingKey,
  | 'url'
  | 'urlFile'
  | 'expectedSizeBytes'
  | 'logFormat'
  | 'registryPlainHttp'
  | 'registryAuthFile'
  | 'registryMirrors'
  | 'ociFile'
  | 'publicKey'
  | 'publicKeyFile'
  | 'signatureUrl'
>;

/**
 * The whole configuration, validated and normalised once at the edge, then
 * passed down. The settings' meanings are the table's descriptions.
 */
export interface LoaderConfig extends Pick<SettingValues, ReadAsIs> {
  /** ARTIFACT_URL (or the file ARTIFACT_URL_FILE names) and ARTIFACT_EXPECTED_SIZE. */
  readonly artifact: ArtifactLocation;
  /** The requested format, or the one for where stdout goes. */
  readonly logFormat: LogFormat;
  readonly maxRedirects: number;
  /** How often progress is reported: events every 2 s (or tenth), a terminal's bar more often. */
  readonly progressIntervalMs: number;
  /** Progress is a bar redrawn in place on a terminal: redrawn on time even when no byte came. */
  readonly progressBar: boolean;
  readonly proxy: ProxySettings;
  /** The publisher's keys (ARTIFACT_PUBLIC_KEY or the file ARTIFACT_PUBLIC_KEY_FILE names): given, the artifact must be signed by one. */
  readonly publicKeys: KeySet | undefined;
  /**
   * Where the publisher's detached signature is (ARTIFACT_SIGNATURE_URL); set only with publicKeys.
   * Never log it whole. Unset with publicKeys: an `oci://` image's cosign signature, found at its registry.
   */
  readonly signatureUrl: URL | undefined;
}
