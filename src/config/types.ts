import type { LogFormat } from '../log/logger.ts';
import type { KeySet } from './public-keys.ts';
import type { SettingKey, SettingValue } from './settings.ts';

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

/** Each setting's value as read, typed by its row in the settings table. */
type SettingValues = { readonly [K in SettingKey]: SettingValue<K> };

/** The settings the config holds as read, their types derived from the table (see settings.ts). */
type ReadAsIs = Exclude<
  SettingKey,
  | 'url'
  | 'urlFile'
  | 'expectedSizeBytes'
  | 'logFormat'
  | 'publicKey'
  | 'publicKeyFile'
  | 'signatureUrl'
>;

/**
 * The whole configuration, validated and normalised once at the edge, then
 * passed down. The settings' meanings are the table's descriptions.
 */
export interface LoaderConfig extends Pick<SettingValues, ReadAsIs> {
  /** The signed artifact URL (ARTIFACT_URL or the file ARTIFACT_URL_FILE names). Never log it whole: use `redactUrl`. */
  readonly url: URL;
  /** Required, so always there. */
  readonly expectedSizeBytes: NonNullable<SettingValue<'expectedSizeBytes'>>;
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
  /** Where the publisher's signature is (ARTIFACT_SIGNATURE_URL); set exactly when publicKeys is. Never log it whole. */
  readonly signatureUrl: URL | undefined;
}
