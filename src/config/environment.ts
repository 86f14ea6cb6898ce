/** The environment as the edge reads it: names to values, any of them missing. */
export interface Environment {
  readonly [name: string]: string | undefined;
}
