/** Byte sizes: digits only for a variable named `..._BYTES` or `..._SIZE`, with a unit for a flag. */
import { invalidValue } from './expected.ts';

const digitsOnly = /^[0-9]+$/;

/** Decimal bytes: a positive safe integer, digits only (no units, signs, spaces or decimals). */
export function parseByteCount(raw: string): number {
  if (!digitsOnly.test(raw)) {
    throw invalidValue('a positive whole number of bytes, digits only (e.g. 52428800)', raw);
  }
  // BigInt keeps the comparison exact for inputs past 2^53.
  const value = BigInt(raw);
  if (value === 0n) throw invalidValue('a positive number of bytes', raw);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidValue(`at most ${Number.MAX_SAFE_INTEGER} bytes`, raw);
  }
  return Number(value);
}

const bytesPerUnit: Record<string, number> = {
  '': 1,
  k: 1000,
  kib: 1024,
  m: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gib: 1024 ** 3,
};

/** `41943040`, `40MiB`, `40M` (powers of 1000) as bytes. */
export function parseByteSize(raw: string): number {
  const match = /^([0-9]+)\s*([kmg]i?b?|b)?$/i.exec(raw.trim());
  const unit = (match?.[2] ?? '')
    .toLowerCase()
    .replace(/^([kmg])b$/, '$1')
    .replace(/^b$/, '');
  const bytes = match === null ? Number.NaN : Number(match[1]) * (bytesPerUnit[unit] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw invalidValue('a positive size such as 41943040, 40MiB or 40M', raw);
  }
  return bytes;
}
