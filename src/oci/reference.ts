/**
 * An artifact in an OCI registry, as ARTIFACT_URL names it:
 * `oci://REGISTRY[:PORT]/REPOSITORY:TAG`, `…/REPOSITORY@sha256:DIGEST` or
 * `…/REPOSITORY:TAG@sha256:DIGEST` (the digest is what is fetched; the tag
 * is kept for the logs). The grammar is the distribution reference grammar
 * (distribution/reference, also the OCI distribution spec's name and tag
 * rules) with the registry always written out: no docker.io default.
 *
 * A reference with neither tag nor digest is refused rather than read as
 * `latest`: a deploy should say which version it deploys. A reference holds
 * no secret, but `oci://user:password@host/…` is refused without being shown:
 * registry credentials belong in the auth file.
 */
import { isIPv6 } from 'node:net';
import { InvalidValueError, quote } from '../options/expected.ts';
import { digestProblem } from './digest.ts';

export interface OciReference {
  /** host[:port], the host in lower case: `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** Path components joined by `/`: `team/app`. */
  readonly repository: string;
  readonly tag: string | undefined;
  /** `sha256:<64 hex>`; when set, the manifest is fetched by it and must hash to it. */
  readonly digest: string | undefined;
  /** What the manifest request names: the digest when there is one, else the tag. */
  readonly manifestReference: string;
  /** The reference as logs show it, normalised. */
  readonly display: string;
}

const scheme = 'oci://';
const shape =
  'oci://REGISTRY[:PORT]/REPOSITORY:TAG or oci://REGISTRY[:PORT]/REPOSITORY@sha256:DIGEST';
const domainName =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$/;
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagShape = /^\w[\w.-]{0,127}$/;
/** distribution/reference: NameTotalLengthMax, registry and repository together. */
const maxNameChars = 255;

/** Parses ARTIFACT_URL when it starts with `oci://`; throws an InvalidValueError saying what was expected. */
export function parseOciReference(raw: string): OciReference {
  if (!raw.toLowerCase().startsWith(scheme)) throw new InvalidValueError(`expected ${shape}`);
  const rest = raw.slice(scheme.length);
  const slash = rest.indexOf('/');
  const at = rest.indexOf('@');
  if (at >= 0 && (slash < 0 || at < rest.lastIndexOf('/'))) {
    throw new InvalidValueError(
      `expected ${shape}; the value has an "@" before the repository name, as user:password@host would (the value is not shown): registry credentials belong in the registry auth file (a Docker config.json)`,
    );
  }
  if (/[?#\s]/.test(rest) || /\p{Cc}/u.test(rest)) {
    throw new InvalidValueError(
      `expected ${shape}; the value has a query, a fragment, a space or a control character (not shown)`,
    );
  }
  if (slash < 0 || slash === rest.length - 1) {
    throw new InvalidValueError(`expected ${shape}: a repository after the registry`);
  }
  const registry = parseRegistryHost(rest.slice(0, slash));
  const path = rest.slice(slash + 1);
  const [nameAndTag = '', digest, extra] = path.split('@');
  if (extra !== undefined) throw new InvalidValueError(`expected at most one "@" in ${shape}`);
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const repository = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  checkRepository(repository, registry);
  if (tag !== undefined && !tagShape.test(tag)) {
    throw new InvalidValueError(
      `expected a tag of 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-", got ${quote(tag)}`,
    );
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) throw new InvalidValueError(problem);
  }
  if (tag === undefined && digest === undefined) {
    throw new InvalidValueError(
      `expected a tag (oci://${registry}/${repository}:1.4.2) or a digest (…@sha256:…) after the repository; "latest" is not assumed: name the version to deploy`,
    );
  }
  const display = `${scheme}${registry}/${repository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return {
    registry,
    repository,
    tag,
    digest,
    manifestReference: digest ?? tag ?? '',
    display,
  };
}

/** `host[:port]` (a domain name, IPv4 or bracketed IPv6 address), the host in lower case. */
export function parseRegistryHost(raw: string): string {
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(raw);
  const [host = '', port] = bracketed !== null ? [bracketed[1], bracketed[2]] : raw.split(/:(.*)/s);
  const validHost = bracketed !== null ? isIPv6(host) : domainName.test(host);
  if (!validHost) {
    throw new InvalidValueError(
      `expected a registry host name, IPv4 address or [IPv6] address, optionally with :PORT, got ${quote(raw)}`,
    );
  }
  if (
    port !== undefined &&
    !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)
  ) {
    throw new InvalidValueError(`expected a registry port from 1 to 65535, got ${quote(port)}`);
  }
  const name = bracketed !== null ? `[${host.toLowerCase()}]` : host.toLowerCase();
  return port === undefined ? name : `${name}:${Number(port)}`;
}

function checkRepository(repository: string, registry: string): void {
  if (repository === '')
    throw new InvalidValueError(`expected ${shape}: a repository after the registry`);
  for (const component of repository.split('/')) {
    if (pathComponent.test(component)) continue;
    if (component === '') {
      throw new InvalidValueError(
        `expected repository path components separated by single "/", got ${quote(repository)}`,
      );
    }
    if (pathComponent.test(component.toLowerCase())) {
      throw new InvalidValueError(
        `expected a repository in lower case, got ${quote(repository)} (registries refuse upper case: use ${quote(repository.toLowerCase())})`,
      );
    }
    throw new InvalidValueError(
      `expected repository path components of lower-case letters and digits, separated inside by ".", "_", "__" or dashes, got ${quote(component)}`,
    );
  }
  if (registry.length + 1 + repository.length > maxNameChars) {
    throw new InvalidValueError(
      `expected the registry and repository together to be at most ${maxNameChars} characters, got ${registry.length + 1 + repository.length}`,
    );
  }
}

/** `oci://registry/repository`: what names an artifact whatever its tag (its record's identity). */
export function repositoryOf({ registry, repository }: OciReference): string {
  return `${scheme}${registry}/${repository}`;
}
