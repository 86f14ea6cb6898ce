import { readFileSync } from 'node:fs';

/** A signed URL is a few kilobytes at most; a larger file is not one. */
const maxUrlFileBytes = 64 * 1024;

/**
 * The URL held in a file (ARTIFACT_URL_FILE), such as a Secret volume that
 * the kubelet keeps current: read once, at the edge, with trailing whitespace
 * (the newline an editor or `echo` adds) trimmed. Throws a plain message that
 * names the file and never its contents; `parseArtifactUrl` checks the rest.
 */
export function readUrlFile(path: string): string {
  let raw: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.byteLength > maxUrlFileBytes) {
      throw new Error(
        `${path} is ${bytes.byteLength} bytes, too large to hold a URL (at most ${maxUrlFileBytes})`,
      );
    }
    raw = bytes.toString('utf8');
  } catch (error) {
    throw new Error(unreadable(path, error));
  }
  const url = raw.replace(/\s+$/, '');
  if (url === '') throw new Error(`${path} is empty; expected one line holding the signed URL`);
  if (/\s/.test(url)) {
    // The URL parser would silently drop a newline inside it: refuse two lines rather than join them.
    throw new Error(
      `${path} holds more than one line or a space; expected one line holding the signed URL (contents not shown)`,
    );
  }
  return url;
}

function unreadable(path: string, error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return `cannot read ${path}: no such file (is the Secret volume mounted?)`;
  if (code === 'EACCES') {
    return `cannot read ${path}: permission denied (the loader runs as UID 1000: mount the Secret with defaultMode 0440 and fsGroup 1000, or 0444)`;
  }
  if (code === 'EISDIR') return `${path} is a folder; expected the file holding the URL`;
  if (typeof code === 'string') return `cannot read ${path} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
