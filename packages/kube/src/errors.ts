// A failed Kubernetes API call as the caller needs it: the HTTP status (404 NotFound, 409
// Conflict/AlreadyExists, 410 Gone/Expired, 422 Invalid…), the Status reason, and the server's
// message — plus, for 422, the field causes, so a controller can name the field refused.
import { isObject } from '@assay/kit';

/** One `details.causes[]` entry of a Status: which field, and why. */
export interface StatusCause {
  field?: string;
  reason?: string;
  message?: string;
}

/** A failed API call, with the Status the server gave. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason?: string;
  readonly causes: StatusCause[];
  constructor(status: number, message: string, reason?: string, causes: StatusCause[] = []) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    if (reason !== undefined) this.reason = reason;
    this.causes = causes;
  }
}

/** What a 401 or 403 most likely means, appended to the message. */
function hint(status: number): string {
  if (status === 401) return ' (the token was refused: check the token file or the service account)';
  if (status === 403) return " (forbidden: check the service account's Role/ClusterRole)";
  return '';
}

/** A KubeApiError from an error response body (a Status, or anything else the server sent). */
export function apiError(status: number, what: string, body: string): KubeApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // not a Status: the raw body is the message
  }
  if (isObject(parsed) && typeof parsed.message === 'string') {
    const reason = typeof parsed.reason === 'string' && parsed.reason ? parsed.reason : undefined;
    const causes: StatusCause[] = [];
    if (isObject(parsed.details) && Array.isArray(parsed.details.causes)) {
      for (const c of parsed.details.causes.slice(0, 50)) {
        if (!isObject(c)) continue;
        const cause: StatusCause = {};
        if (typeof c.field === 'string') cause.field = c.field;
        if (typeof c.reason === 'string') cause.reason = c.reason;
        if (typeof c.message === 'string') cause.message = c.message;
        causes.push(cause);
      }
    }
    return new KubeApiError(status, `${what}: ${status}${reason ? ` ${reason}` : ''}: ${parsed.message}${hint(status)}`, reason, causes);
  }
  return new KubeApiError(status, `${what}: ${status}: ${body.slice(0, 200)}${hint(status)}`);
}

/** The error a watch ERROR event carries (its object is a Status; 410 is "too old resource version"). */
export function watchError(what: string, status: unknown): KubeApiError {
  const code = isObject(status) && typeof status.code === 'number' ? status.code : 500;
  return apiError(code, what, JSON.stringify(status));
}
