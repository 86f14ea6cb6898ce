/**
 * Admission control for the artifact server: a bound on transfers in flight,
 * in all and per client address. Beyond it a request is answered at once with
 * 503 and a Retry-After; nothing waits in the server, so memory does not grow
 * with the herd, and no connection is dropped.
 *
 * Why a cursor and not a constant Retry-After: told "1" together, a herd
 * comes back together and is turned away together. Instead each turned-away
 * request is given its own turn on a virtual timeline (one number, not a
 * queue): the turns are one slot interval apart, the slot interval being the
 * mean transfer time divided by the slots. The herd comes back at about the
 * rate transfers end. Retry-After has a resolution of one second (RFC 9110
 * §10.2.3), so each turn is rounded up or down at random, in proportion.
 */
export interface AdmissionOptions {
  /** Transfers in flight at most, all clients together. */
  readonly maxTransfers: number;
  /** Transfers in flight at most from one client address. */
  readonly maxTransfersPerClient: number;
  /** Longest Retry-After given, in seconds (the loader caps its own waits at 30 s by default). */
  readonly retryAfterMaxSeconds: number;
  readonly random?: () => number;
  readonly nowMs?: () => number;
}

export type Admission =
  | { readonly admitted: true; readonly release: () => void }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly reason: string };

/** Until a transfer has ended there is no measure of one; a guess that errs long. */
const initialTransferMs = 1000;
/** Weight of the newest transfer in the running mean. */
const meanWeight = 0.2;

export class AdmissionControl {
  readonly #options: AdmissionOptions;
  readonly #random: () => number;
  readonly #nowMs: () => number;
  #inFlight = 0;
  /** Only addresses with a transfer in flight: at most maxTransfers entries. */
  readonly #inFlightByClient = new Map<string, number>();
  #meanTransferMs: number | undefined;
  /** The last turn handed out on the virtual timeline. */
  #lastTurnAtMs = 0;
  #turnedAway = 0;

  constructor(options: AdmissionOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Transfers in flight now, and requests turned away so far. */
  get stats(): { inFlight: number; turnedAway: number } {
    return { inFlight: this.#inFlight, turnedAway: this.#turnedAway };
  }

  /** Admits a transfer for `client` (its address), or says when to come back. */
  admit(client: string): Admission {
    const { maxTransfers, maxTransfersPerClient } = this.#options;
    const fromClient = this.#inFlightByClient.get(client) ?? 0;
    if (this.#inFlight >= maxTransfers) {
      return this.#turnAway(
        this.#nextTurnMs(maxTransfers),
        `busy: ${this.#inFlight} transfers in flight`,
      );
    }
    if (fromClient >= maxTransfersPerClient) {
      // Not a turn on the shared timeline: this client waits for one of its own to end.
      return this.#turnAway(
        this.#meanMs() * (0.5 + this.#random()),
        `busy: ${fromClient} transfers in flight from this client`,
      );
    }
    this.#inFlight += 1;
    this.#inFlightByClient.set(client, fromClient + 1);
    const startedAtMs = this.#nowMs();
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        const left = (this.#inFlightByClient.get(client) ?? 1) - 1;
        if (left === 0) this.#inFlightByClient.delete(client);
        else this.#inFlightByClient.set(client, left);
        this.#recordTransferMs(this.#nowMs() - startedAtMs);
      },
    };
  }

  /**
   * Milliseconds from now to the next free turn, one slot interval after the
   * last one given. Once the timeline is full up to the cap, a turn is drawn
   * at random from the later half of the cap instead: stacked at the cap, the
   * overflow would all come back in the same second.
   */
  #nextTurnMs(slots: number): number {
    const nowMs = this.#nowMs();
    const capMs = this.#options.retryAfterMaxSeconds * 1000;
    const turnAtMs = Math.max(this.#lastTurnAtMs, nowMs) + this.#meanMs() / slots;
    if (turnAtMs - nowMs > capMs) return capMs * (0.5 + 0.5 * this.#random());
    this.#lastTurnAtMs = turnAtMs;
    return turnAtMs - nowMs;
  }

  #turnAway(waitMs: number, reason: string): Admission {
    this.#turnedAway += 1;
    // Rounded up with the probability of the fraction: a mean of exactly waitMs, spread over
    // two whole seconds. Never 0, which would bring a client straight back.
    const seconds = Math.floor(waitMs / 1000 + this.#random());
    const retryAfterSeconds = Math.min(this.#options.retryAfterMaxSeconds, Math.max(1, seconds));
    return { admitted: false, retryAfterSeconds, reason };
  }

  #meanMs(): number {
    return this.#meanTransferMs ?? initialTransferMs;
  }

  #recordTransferMs(durationMs: number): void {
    this.#meanTransferMs =
      this.#meanTransferMs === undefined
        ? durationMs
        : this.#meanTransferMs + meanWeight * (durationMs - this.#meanTransferMs);
  }
}
