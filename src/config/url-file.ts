import { readSmallText } from '../process/small-file.ts';

/** A signed URL is a few kilobytes at most; a larger file is not one. */
const maxUrlFileBytes = 64 * 1024;

/**
 * The URL held in a file (ARTIFACT_URL_FILE), such as a Secret volume that
 * the kubelet keeps current: read once, at the edge, with a leading UTF-8 BOM
 * (an editor's) dropped and trailing whitespace (the newline an editor or
 * `echo` adds) trimmed. Only a regular file of at most 64 KiB is read,
 * without waiting (see readSmallFile). Throws a plain message that names the
 * file and never its contents; `parseArtifactUrl` checks the rest.
 */
export function readUrlFile(path: string): string {
  const url = readSmallText({
    path,
    name: path,
    holding: 'the signed URL',
    tooLargeFor: 'a signed URL',
    maxBytes: maxUrlFileBytes,
  }).replace(/\s+$/, '');
  if (url === '') throw new Error(`${path} is empty; expected one line holding the signed URL`);
  if (/\s/.test(url)) {
    // The URL parser would silently drop a newline inside it: refuse two lines rather than join them.
    throw new Error(
      `${path} holds more than one line or a space; expected one line holding the signed URL (contents not shown)`,
    );
  }
  return url;
}
