import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';

/** An HTTP error with a message a person understands; rendered as `{"error", "field"?}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A group of routes mounted under `basePath`, with its part of the OpenAPI document. */
export interface RouteModule {
  basePath: string;
  router: Router;
  /** OpenAPI 3.1 `paths` entries, keyed by the full path (e.g. `/api/devices/{id}`). */
  openapi: Record<string, unknown>;
  /** Routes that need no Bearer token (relative to basePath, exact match). */
  publicPaths?: string[];
}

/** Validates `input` against `schema`; a failure becomes a 400 naming the first bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  throw new HttpError(400, field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}

/** The largest time a JavaScript Date holds (ECMAScript 21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** Parses a time given as epoch milliseconds or ISO-8601; `undefined` stays undefined. */
export function parseTimeParam(name: string, text: unknown): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (typeof text !== 'string') throw new HttpError(400, `${name}: give one time`, name);
  const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new HttpError(400, `${name}: '${text}' is neither epoch milliseconds nor ISO-8601`, name);
  if (Math.abs(ms) > MAX_DATE_MS)
    throw new HttpError(400, `${name}: '${text}' is outside the range of dates`, name);
  return ms;
}

/** Wraps an async handler so a rejection reaches the error middleware. */
export function route(
  handler: (req: Request, res: Response) => Promise<unknown> | unknown,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(next);
  };
}
