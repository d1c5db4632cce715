import type { JsonBodyError } from '../lib/json-members.js';

/** A Connect REST call that answered with a non-2xx status. */
export class ConnectApiError extends Error {
  override readonly name = 'ConnectApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path} answered ${status}${summarize(body)}`, options);
  }

  /** 409 (rebalance, stale config) and 5xx are worth retrying within the poll's deadline. */
  get retryable(): boolean {
    return this.status === 409 || this.status >= 500;
  }
}

/** A Connect REST call that could not complete: refused, reset, timed out, TLS failure. */
export class ConnectTransportError extends Error {
  override readonly name = 'ConnectTransportError';
  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${method} ${path} failed: ${message}`, options);
  }
}

/** A 2xx answer whose body is not what the API documents, or goes over a cap (ConnectLimits). */
export class ConnectResponseError extends Error {
  override readonly name = 'ConnectResponseError';
  constructor(
    readonly path: string,
    /** What is wrong with the answer, without the path. */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`unexpected answer from ${path}: ${problem}`, options);
  }
}

/** The ConnectResponseError for a body the JSON reader refused: not JSON, or nested deeper than the cap. */
export function jsonBodyError(path: string, err: JsonBodyError): ConnectResponseError {
  return err.kind === 'depth'
    ? new ConnectResponseError(path, `JSON ${err.message} (limit maxJsonDepth)`, { cause: err })
    : new ConnectResponseError(path, `body is not JSON: ${err.message}`, { cause: err });
}

function summarize(body: string): string {
  if (body.length === 0) return '';
  let message = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // Not JSON (e.g. the basic-auth extension's plain-text 401): show it as text.
  }
  message = message.replace(/\s+/g, ' ').trim();
  return `: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`;
}
