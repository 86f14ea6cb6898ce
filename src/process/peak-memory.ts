import { readFileSync } from 'node:fs';

/**
 * Peak resident memory of this process (VmHWM), for sizing the init
 * container's memory limit; undefined where /proc is not available.
 * process.resourceUsage().maxRSS is not used: Linux carries ru_maxrss over
 * exec, so it can report the memory of whatever spawned us.
 */
export function peakRssBytes(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
