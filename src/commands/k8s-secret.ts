import { ConfigError } from '../errors.ts';
import { urlValidityOf } from '../urls/expiry.ts';

/**
 * The prefix of every annotation key this project writes: a domain, as
 * Kubernetes asks of keys that are not its own, so no other tool's key can
 * collide. example.com is reserved for examples (RFC 2606) and is the domain
 * of the image name too (registry.example.com/runtime-loader): whoever
 * publishes the image puts their own domain in both.
 */
export const annotationPrefix = 'runtime-loader.example.com/';

/** Annotation that tells an operator when the URL in the Secret stops working. */
export const expiresAtAnnotation = `${annotationPrefix}expires-at`;

/** RFC 1123 subdomain, as Kubernetes requires of a Secret's name. */
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Secret name Kubernetes would accept, or a ConfigError saying what it takes. */
export function checkSecretName(name: string): string {
  if (name.length > 253 || !dnsSubdomain.test(name)) {
    throw new ConfigError(
      `--k8s-secret: expected a Kubernetes object name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters), got ${JSON.stringify(name.slice(0, 60))}`,
    );
  }
  return name;
}

/** What the Secret holds: the URL, the size when known, and the expiry as an annotation. */
export interface SecretContent {
  readonly annotations: Record<string, string>;
  readonly stringData: Record<string, string>;
}

export function secretContent(url: string, sizeBytes: number | undefined): SecretContent {
  const expiresAt = urlValidityOf(new URL(url))?.expiresAt.toISOString();
  return {
    annotations: expiresAt === undefined ? {} : { [expiresAtAnnotation]: expiresAt },
    stringData: { url, ...(sizeBytes === undefined ? {} : { size: String(sizeBytes) }) },
  };
}

/**
 * A `v1` Secret holding the signed URL (key `url`) and, when known, the size
 * (key `size`), as YAML for `kubectl apply -f -`. The loader reads the URL
 * from its volume with ARTIFACT_URL_FILE. Values are JSON strings, which YAML
 * reads as double-quoted scalars, so no character of the URL needs care.
 */
export function secretManifest(name: string, url: string, sizeBytes: number | undefined): string {
  const { annotations, stringData } = secretContent(url, sizeBytes);
  const entries = (record: Record<string, string>, indent: string) =>
    Object.entries(record).map(([key, value]) => `${indent}${key}: ${JSON.stringify(value)}`);
  return [
    '# A signed URL is a credential: apply it, do not commit it.',
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${checkSecretName(name)}`,
    ...(Object.keys(annotations).length === 0
      ? []
      : ['  annotations:', ...entries(annotations, '    ')]),
    'type: Opaque',
    'stringData:',
    ...entries(stringData, '  '),
    '',
  ].join('\n');
}
