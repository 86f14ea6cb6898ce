// JAR-shaped archives written by yazl, an independent zip writer: the demo's artifact, and the
// tests' (test/helpers/jar.ts damages them).
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { ZipFile } from 'yazl';

export const MTIME = new Date('2024-01-02T03:04:05Z');
export const MANIFEST = 'Manifest-Version: 1.0\r\nMain-Class: com.example.Main\r\n\r\n';
export const CLASS_BYTES = Buffer.from('cafebabe0000004100', 'hex');

export interface JarOptions {
  /** Entries by name, added after the manifest and the class. */
  extra?: Record<string, Buffer>;
  /** A last entry of this many random bytes, always stored: a large, incompressible JAR. */
  payloadBytes?: number;
  /** Deflate the entries (default); false stores them. */
  compress?: boolean;
  /** Zip64 extra fields in every entry (yazl then saturates the classic fields). */
  zip64Entries?: boolean;
  /** Zip64 end-of-central-directory record and locator. */
  zip64End?: boolean;
  comment?: string;
}

/** A JAR: a META-INF/ directory, the manifest, a class file, then `extra` and the payload. */
export async function buildJar(options: JarOptions = {}): Promise<Buffer> {
  const zip = new ZipFile();
  const entry = {
    mtime: MTIME,
    compress: options.compress ?? true,
    forceZip64Format: options.zip64Entries ?? false,
  };
  zip.addEmptyDirectory('META-INF/', { mtime: MTIME });
  zip.addBuffer(Buffer.from(MANIFEST), 'META-INF/MANIFEST.MF', entry);
  zip.addBuffer(CLASS_BYTES, 'com/example/Main.class', entry);
  for (const [name, data] of Object.entries(options.extra ?? {})) zip.addBuffer(data, name, entry);
  if (options.payloadBytes !== undefined) {
    const payload = randomBytes(options.payloadBytes);
    zip.addBuffer(payload, 'com/example/payload.bin', { ...entry, compress: false });
  }
  zip.end({ forceZip64Format: options.zip64End ?? false, comment: options.comment ?? '' });
  return buffer(zip.outputStream);
}
