/** What the access log records of one request. Never the query: it holds the signature. */
export interface AccessRecord {
  method: string;
  path: string;
  status: number;
  bytes: number;
  keyId?: string;
  range?: string;
  reason?: string;
  /** Set once the whole answer was handed to the connection; false for a client gone mid-body. */
  complete: boolean;
}
