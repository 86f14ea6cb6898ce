import type { Validator } from '../range/validator.ts';

/** What survives between attempts: the version of the object the kept bytes belong to. */
export interface ResumeState {
  validator: Validator | undefined;
  resumedBytes: number;
}
