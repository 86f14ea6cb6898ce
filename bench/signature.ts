// The publisher's side of the signature scenario: a minisign key and a prehashed (`ED`)
// signature of the benchmark artifact, in minisign's own formats, made with node:crypto so
// the bench needs no minisign binary (the tests check the formats against Debian's minisign).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Row } from './report.ts';
import { median } from './stats.ts';

/** Signs `path` into `path.minisig`; returns the public key as a `minisign.pub` holds it. */
export async function minisignPrehashed(path: string): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const keyNumber = randomBytes(8);
  const blake2b = createHash('blake2b512');
  await pipeline(createReadStream(path), blake2b);
  const signature = sign(null, blake2b.digest(), privateKey);
  const comment = Buffer.from(`timestamp:${Math.floor(Date.now() / 1000)}\tfile:bench`);
  const global = sign(null, Buffer.concat([signature, comment]), privateKey);
  const id = Buffer.from(keyNumber).reverse().toString('hex').toUpperCase();
  await writeFile(
    `${path}.minisig`,
    [
      `untrusted comment: signature from the bench's key ${id}`,
      Buffer.concat([Buffer.from('ED'), keyNumber, signature]).toString('base64'),
      `trusted comment: ${comment}`,
      global.toString('base64'),
      '',
    ].join('\n'),
  );
  const rawKey = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const keyLine = Buffer.concat([Buffer.from('Ed'), keyNumber, rawKey]).toString('base64');
  return `untrusted comment: minisign public key ${id}\n${keyLine}\n`;
}

export interface PairedRatio {
  readonly client: string;
  readonly against: string;
  /** Wall time with the signature over without, one per round, in round order. */
  readonly ratios: number[];
  readonly median: number;
}

/** Each row's wall times over its partner's from the same round: `pairs` are [without, with] row names. */
export function pairedRatios(
  rows: readonly Row[],
  pairs: readonly [string, string][],
): PairedRatio[] {
  return pairs.map(([without, withSignature]) => {
    const base = rows.find((row) => row.client === without)?.samples ?? [];
    const signed = rows.find((row) => row.client === withSignature)?.samples ?? [];
    const ratios = signed.map(
      (sample, round) => sample.wallMs / (base[round]?.wallMs ?? Number.NaN),
    );
    return { client: withSignature, against: without, ratios, median: median(ratios) };
  });
}

export function formatPairedRatios(ratios: readonly PairedRatio[]): string {
  return ratios
    .map(
      (pair) =>
        `- ${pair.client} / ${pair.against}: median ${pair.median.toFixed(3)} over ${pair.ratios.length} pairs (${pair.ratios.map((ratio) => ratio.toFixed(2)).join(' ')}); target <= 1.10`,
    )
    .join('\n');
}
