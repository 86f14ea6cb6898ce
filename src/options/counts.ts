/** Whole numbers: counts and ports, digits only. */
import { invalidValue } from './expected.ts';

const digitsOnly = /^[0-9]+$/;

/** A positive safe integer, digits only. */
export function parsePositiveInt(raw: string): number {
  const value = Number(raw);
  if (!digitsOnly.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw invalidValue('a positive whole number', raw);
  }
  return value;
}

/** A whole number from 1 to `max`, for counts where more would do harm rather than good. */
export function parsePositiveIntUpTo(max: number): (raw: string) => number {
  return (raw) => {
    const value = digitsOnly.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 1 && value <= max)) throw invalidValue(`a whole number from 1 to ${max}`, raw);
    return value;
  };
}

/** A count such as `32` (surrounding spaces allowed): at most six digits, at least 1. */
export function parseCount(raw: string): number {
  const count = /^[0-9]{1,6}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(count >= 1)) throw invalidValue('a whole number from 1 to 999999', raw);
  return count;
}

/** A TCP port, 0 (any free one) to 65535. */
export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^[0-9]{1,5}$/.test(raw) || port > 65_535) throw invalidValue('0-65535', raw);
  return port;
}
