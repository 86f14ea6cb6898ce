import { ConfigError } from '../errors.ts';
import { problemOf } from '../options/expected.ts';
import { readSmallText } from '../process/small-file.ts';
import type { LoaderFlags } from './loader-flags.ts';
import { type KeySet, keyLabel, parsePublicKeys } from './public-keys.ts';
import { namesOf, variableOf } from './read-setting.ts';
import { type Setting, type SettingKey, type SettingValue, settings } from './settings.ts';
import type { Environment } from './types.ts';

/** The publisher's keys and where the signature comes from: both or neither, but an `oci://` artifact's keys may stand alone. */
export interface SignatureSettings {
  readonly publicKeys: KeySet | undefined;
  readonly signatureUrl: URL | undefined;
}

/**
 * ARTIFACT_PUBLIC_KEY or the file ARTIFACT_PUBLIC_KEY_FILE names (read here,
 * once, as ARTIFACT_URL_FILE is), and ARTIFACT_SIGNATURE_URL. A problem is
 * added for both key settings at once, for a key with no signature to check
 * (the artifact must be signed, so the run could only fail), and for a
 * signature with no key (a signature nobody checks would only look safe).
 * For an `oci://` artifact (`ociArtifact`) keys alone are enough: the
 * signature is then the image's, found at the registry where cosign puts it,
 * so at least one of them must be a PEM key (minisign keys alone could only
 * fail, after asking the registry).
 */
export function readSignatureSettings(
  flags: LoaderFlags,
  env: Environment,
  read: <K extends SettingKey>(key: K) => SettingValue<K>,
  problems: string[],
  ociArtifact: boolean,
): SignatureSettings {
  const { publicKey, publicKeyFile, signatureUrl } = settings;
  const given = (spec: Setting<unknown, unknown>) =>
    typeof flags[spec.flag] === 'string' || variableOf(spec, env) !== undefined;
  /** How messages name a setting's value: its flag when the flag gave it, else its variable. */
  const nameOf = (spec: Setting<unknown, unknown>) =>
    typeof flags[spec.flag] === 'string' ? `--${spec.flag}` : spec.env;
  const url = read('signatureUrl');
  const keysGiven = given(publicKey) || given(publicKeyFile);
  let publicKeys: KeySet | undefined;
  if (given(publicKey) && given(publicKeyFile)) {
    problems.push(
      `${namesOf(publicKey)} and ${namesOf(publicKeyFile)} are both set; set only one of them`,
    );
  } else if (given(publicKey)) {
    const text = read('publicKey');
    if (text !== undefined) publicKeys = keysOf(text, nameOf(publicKey), problems);
  } else if (given(publicKeyFile)) {
    const path = read('publicKeyFile');
    const text = path === undefined ? undefined : keyFile(path, problems);
    if (text !== undefined)
      publicKeys = keysOf(text, `${nameOf(publicKeyFile)} (${path})`, problems);
  }
  if (keysGiven && !given(signatureUrl) && !ociArtifact) {
    problems.push(
      `${namesOf(given(publicKey) ? publicKey : publicKeyFile)} is set, so the artifact must carry its publisher's signature, but ${namesOf(signatureUrl)} is not: set it to the URL of the signature (only an oci:// artifact's signature is found without it, at its registry)`,
    );
  }
  const minisignOnly = publicKeys?.keys.every((key) => key.kind === 'minisign') === true;
  if (publicKeys !== undefined && minisignOnly && !given(signatureUrl) && ociArtifact) {
    problems.push(
      `${namesOf(given(publicKey) ? publicKey : publicKeyFile)} holds only ${publicKeys.keys.map(keyLabel).join(', ')}, and without ${namesOf(signatureUrl)} an oci:// artifact's signature is the image's cosign signature, which only a PEM key checks (cosign.pub, ECDSA P-256, or Ed25519): add the cosign public key, or set ${signatureUrl.env} to a minisign signature of the JAR`,
    );
  }
  if (!keysGiven && given(signatureUrl)) {
    problems.push(
      `${namesOf(signatureUrl)} is set but no key to check the signature with: set ${publicKey.env} or ${publicKeyFile.env} (a signature nobody checks proves nothing)`,
    );
  }
  return { publicKeys, signatureUrl: url };
}

/** The keys in `text`; a problem naming `source` and the line when one is not a key. */
function keysOf(text: string, source: string, problems: string[]): KeySet | undefined {
  try {
    return parsePublicKeys(text, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

/** A few public keys are a few kilobytes; a larger file holds something else. */
const maxKeyFileBytes = 64 * 1024;

function keyFile(path: string, problems: string[]): string | undefined {
  try {
    return readSmallText({
      path,
      name: path,
      holding: "the publisher's public keys",
      tooLargeFor: 'public keys',
      maxBytes: maxKeyFileBytes,
      volume: 'ConfigMap or Secret',
    });
  } catch (error) {
    problems.push(problemOf(namesOf(settings.publicKeyFile), error));
    return undefined;
  }
}
