// The signature scenario: what a publisher's signature costs a download, paired by round.
// The publisher's side, a minisign key and a prehashed (`ED`) signature of the benchmark
// artifact in minisign's own formats, is made with node:crypto so the bench needs no minisign
// binary (the tests check the formats against Debian's minisign).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { type Client, type Download, loader } from './clients.ts';
import { formatTable, type Row, summarise } from './report.ts';
import { alternate, type BenchContext, signedUrl } from './scenarios.ts';
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

/** Where the pairs download from: `serve`, and nginx when it is installed. */
export interface Source {
  readonly name: string;
  readonly origin: string;
}

/**
 * The cost of a publisher's signature: the loader on one and four
 * connections, each without and with ARTIFACT_PUBLIC_KEY and a prehashed
 * minisign signature of `download`'s file (served as `path.minisig`),
 * alternating, from each source. ARTIFACT_SHA256 is on in all, as in every
 * loader run of the bench: the signature's cost is the rest. Returns the
 * summaries and the paired ratios, and the table.
 */
export async function signatureCost(
  context: BenchContext,
  sources: readonly Source[],
  file: { path: string; localPath: string },
  download: Download,
  title: string,
): Promise<{ summary: unknown; table: string }> {
  const publicKey = await minisignPrehashed(file.localPath);
  const signed = ' + minisign';
  const clients: Client[] = [];
  const pairs: [string, string][] = [];
  for (const source of sources) {
    const url = signedUrl(context, source.origin, file.path);
    const signatureEnv = {
      ARTIFACT_PUBLIC_KEY: publicKey,
      ARTIFACT_SIGNATURE_URL: signedUrl(context, source.origin, `${file.path}.minisig`),
    };
    for (const connections of [1, 4]) {
      const [without, withSignature] = [
        loader(connections),
        loader(connections, signatureEnv, signed),
      ].map((client) => from(source.name, url, client));
      clients.push(without as Client, withSignature as Client);
      pairs.push([without?.name ?? '', withSignature?.name ?? '']);
    }
  }
  const rows = await alternate(context, 'signature', clients, download);
  const ratios = pairedRatios(rows, pairs);
  return {
    summary: { clients: summarise(rows), pairedRatios: ratios },
    table: `${formatTable(title, summarise(rows))}\nwall time with the signature over without, paired by round:\n${formatPairedRatios(ratios)}`,
  };
}

/** `client` downloading `url`, named after the source it downloads from. */
function from(source: string, url: string, client: Client): Client {
  return {
    name: `${client.name} from ${source}`,
    command: (download) => client.command({ ...download, url }),
  };
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
