import { ERRORS, GatehouseError, summaryOf, type ErrorCode } from '../model/gatehouse-error.js';
import type { Face } from '../model/wording.js';

/** An RFC 9457 problem document with Gatehouse's stable code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: Array<{ path: string; message: string }>;
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

/** The faces the admin API words its answers for: the API's own (fields) unless the console asks for its wording. */
export type ApiFace = Extract<Face, 'api' | 'console'>;

/** The request header with which the console asks for its wording (`X-Gatehouse-Wording: console`). */
export const WORDING_HEADER = 'x-gatehouse-wording';

export function faceOf(headers: Record<string, string | string[] | undefined>): ApiFace {
  return headers[WORDING_HEADER] === 'console' ? 'console' : 'api';
}

export function problem(code: ErrorCode, detail: string, errors?: Problem['errors'], face: ApiFace = 'api'): Problem {
  return { type: `https://gatehouse.invalid/docs/errors#${code.toLowerCase()}`, title: summaryOf(code, face), status: ERRORS[code].status, detail, code, ...(errors ? { errors } : {}) };
}

/**
 * Turns anything a route or the framework threw into a problem document. A GatehouseError keeps
 * its code and its message, worded for the face (the API's fields, or the console's buttons and
 * fields); the framework's parse and validation failures get Gatehouse codes; any other error is a bug and is answered as GH_INTERNAL without its message (the log has it).
 */
export function problemFor(error: unknown, face: ApiFace = 'api'): { problem: Problem; internal: boolean } {
  if (error instanceof GatehouseError) return { problem: problem(error.code, error.wording(face), undefined, face), internal: false };
  const e = error as FrameworkError;
  if (e.validation) {
    const where = e.validationContext ?? 'body';
    const errors = e.validation.map((v) => ({ path: `${where}${v.instancePath.replaceAll('/', '.')}`, message: issueText(v) }));
    return { problem: problem('GH_REQUEST_BODY_INVALID', `The request is not valid: ${errors.map((x) => `${x.path} ${x.message}`).join('; ')}.`, errors, face), internal: false };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: problem('GH_REQUEST_BODY_INVALID', 'The request body is not valid JSON.', undefined, face), internal: false };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: problem('GH_REQUEST_TOO_LARGE', 'The request body is larger than 2 MiB; certificate files are far smaller.', undefined, face), internal: false };
    case 'FST_ERR_BAD_URL':
      return { problem: problem('GH_REQUEST_BODY_INVALID', 'The request path is not valid: it has a malformed percent-escape. Encode names with encodeURIComponent.', undefined, face), internal: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { problem: problem('GH_MEDIA_TYPE_UNSUPPORTED', 'Send the request body as application/json.', undefined, face), internal: false };
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return { problem: problem('GH_REQUEST_BODY_INVALID', `The request is not valid: ${e.message.replace(/\.?$/, '.')}`, undefined, face), internal: false };
  }
  return { problem: problem('GH_INTERNAL', 'Something went wrong inside Gatehouse; nothing was changed. The server log has the details.', undefined, face), internal: true };
}

function issueText(v: AjvIssue): string {
  if (v.keyword === 'additionalProperties') return `has an unknown field "${String(v.params.additionalProperty)}"`;
  if (v.keyword === 'required') return `needs the field "${String(v.params.missingProperty)}"`;
  if (v.keyword === 'enum' || v.keyword === 'const') return `${v.message ?? 'is not allowed'}${v.params.allowedValues ? ` (${(v.params.allowedValues as unknown[]).join(', ')})` : ''}`;
  return v.message ?? `fails ${v.keyword}`;
}
