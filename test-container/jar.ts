// A small but real JAR for the container test: a zip with a manifest, a class
// file name and a stored random payload, so structure checks and digests are real.
import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import yazl from 'yazl';

export async function makeJar(payloadBytes = 2 * 1024 * 1024): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2024-01-01T00:00:00Z');
  zip.addBuffer(
    Buffer.from('Manifest-Version: 1.0\r\nMain-Class: example.Main\r\n\r\n'),
    'META-INF/MANIFEST.MF',
    {
      mtime,
    },
  );
  zip.addBuffer(Buffer.from('not really bytecode'), 'example/Main.class', { mtime });
  zip.addBuffer(randomBytes(payloadBytes), 'example/payload.bin', { mtime, compress: false });
  zip.end();
  return await buffer(zip.outputStream);
}
