import { type Request, Router } from 'express';
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../../core/wire.js';
import type { TicketService } from '../../tickets/service.js';
import { TicketServiceError } from '../../tickets/service.js';
import { PRIORITIES, TICKET_STATUSES, type Ticket } from '../../tickets/types.js';
import { findingView, historyView, iso, suggestionView, ticketView } from '../../tickets/view.js';
import { HttpError, parseOr400, parseTimeParam, type RouteModule, route } from '../http.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const DAY_MS = 86_400_000;

/** A comma-separated list of allowed words, e.g. `status=open,acknowledged`. */
const wordList = <T extends string>(words: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((text) => text.split(',').map((w) => w.trim()))
    .pipe(z.array(z.enum(words)));

const listQuery = z.object({
  status: wordList(TICKET_STATUSES).optional(),
  priority: wordList(PRIORITIES).optional(),
  device: z.string().optional(),
  category: z.enum(['machine', 'data_quality']).optional(),
  kind: z.enum(['proactive', 'reactive']).optional(),
  outlet: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT, `must be at most ${MAX_LIMIT}`).default(DEFAULT_LIMIT),
  offset: z.coerce.number().int().min(0).default(0),
});

const actorFields = {
  /** Who does it; defaults to the authenticated user, else `api`. */
  actor: z.string().trim().min(1).max(200).optional(),
  note: z.string().max(5000).optional(),
};

const reactiveBody = z.object({
  device: z.string().regex(DEVICE_ID_PATTERN, 'must be a device id (letters, digits, . _ -)'),
  model: z.string().min(1).optional(),
  faultCode: z.string().min(1).max(64).optional(),
  category: z.enum(['machine', 'data_quality']).optional(),
  priority: z.enum(PRIORITIES).optional(),
  title: z.string().trim().min(1, 'describe the problem in a few words').max(200),
  description: z.string().max(5000).optional(),
  reportedBy: z.string().trim().min(1).max(200),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});

const resolutionSchema = z.object({
  resolutionCode: z.string().trim().min(1).max(64),
  faultCode: z.string().trim().min(1).max(64),
  parts: z
    .array(
      z.object({
        partNumber: z.string().trim().min(1).max(64),
        quantity: z.number().int().min(1).default(1),
      }),
    )
    .default([]),
  firstTimeFix: z.boolean(),
});

const feedbackSchema = z
  .object({
    csat: z.number().int().min(1).max(5).nullable().default(null),
    nps: z.number().int().min(0).max(10).nullable().default(null),
    comment: z.string().max(5000).nullable().default(null),
  })
  .refine((f) => f.csat !== null || f.nps !== null || f.comment !== null, 'give csat, nps or a comment');

const transitionBody = z.object({
  to: z.enum(TICKET_STATUSES),
  ...actorFields,
  technician: z.string().trim().min(1).max(200).optional(),
  resolution: resolutionSchema.optional(),
  feedback: feedbackSchema.optional(),
});

const assignBody = z.union([
  z.object({ outletId: z.string().min(1).nullable(), ...actorFields }).strict(),
  z.object({ auto: z.literal(true), ...actorFields }).strict(),
]);

const noteBody = z.object({
  actor: actorFields.actor,
  note: z.string().trim().min(1, 'write something').max(5000),
});

const ERROR_STATUS = { not_found: 404, conflict: 409, invalid: 400 } as const;

/** Runs a service call, turning its refusals into HTTP errors. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TicketServiceError)
      throw new HttpError(ERROR_STATUS[error.kind], error.message, error.field);
    throw error;
  }
}

const view = (ticket: Ticket) => ({ ...ticketView(ticket), statusPath: `/api/status/${ticket.statusToken}` });

export interface TicketRouteDeps {
  service: TicketService;
  /** Wall clock, for default report periods. */
  clock: () => number;
  /** The authenticated person behind a request, when the app knows one. */
  actorOf?: (req: Request) => string | undefined;
}

/** Tickets: list, detail, reactive opening, lifecycle, dispatch, feedback, the measures and the R&D report. */
export function ticketRoutes(deps: TicketRouteDeps): RouteModule {
  const { service } = deps;
  const router = Router();
  const actor = (req: Request, given: string | undefined) => given ?? deps.actorOf?.(req) ?? 'api';

  router.get(
    '/',
    route(async (req, res) => {
      const q = parseOr400(listQuery, req.query);
      const tickets = await service.listTickets({
        status: q.status,
        priority: q.priority,
        device: q.device,
        category: q.category,
        kind: q.kind,
        outletId: q.outlet,
        limit: q.limit,
        offset: q.offset,
      });
      res.json({ tickets: tickets.map(view) });
    }),
  );

  router.post(
    '/',
    route(async (req, res) => {
      const body = parseOr400(reactiveBody, req.body);
      if ((body.lat === undefined) !== (body.lon === undefined))
        throw new HttpError(400, 'lat and lon: give both or neither', 'lat');
      const { lat, lon, ...input } = body;
      const ticket = await call(() =>
        service.openReactive({
          ...input,
          site: lat === undefined || lon === undefined ? undefined : { lat, lon },
        }),
      );
      res.status(201).json({ ticket: view(ticket) });
    }),
  );

  router.get(
    '/stats',
    route(async (req, res) => {
      const to = parseTimeParam('to', req.query.to) ?? deps.clock();
      const from = parseTimeParam('from', req.query.from) ?? to - 30 * DAY_MS;
      if (from >= to) throw new HttpError(400, 'from: must be before to', 'from');
      const stats = await service.stats(from, to);
      res.json({
        ...stats,
        from: iso(stats.from),
        to: iso(stats.to),
        followUpsDue: stats.followUpsDue.map((f) => ({ ...f, dueSince: iso(f.dueSince) })),
      });
    }),
  );

  router.get(
    '/reports/monthly',
    route(async (req, res) => {
      const { month } = parseOr400(z.object({ month: z.string().optional() }), req.query);
      res.json(await call(() => service.monthlyReport(month ?? previousMonth(deps.clock()))));
    }),
  );

  router.get(
    '/sla-policy',
    route((_req, res) => res.json({ policy: service.slaPolicy })),
  );

  router.get(
    '/:id',
    route(async (req, res) => {
      const detail = await call(() => service.detail(String(req.params.id)));
      res.json({
        ticket: view(detail.ticket),
        history: detail.history.map(historyView),
        findings: detail.findings.map(findingView),
        suggestions: detail.suggestions.map(suggestionView),
      });
    }),
  );

  router.post(
    '/:id/transitions',
    route(async (req, res) => {
      const body = parseOr400(transitionBody, req.body);
      const ticket = await call(() =>
        service.transition(String(req.params.id), { ...body, actor: actor(req, body.actor) }),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/resolve',
    route(async (req, res) => {
      const body = parseOr400(resolutionSchema.extend(actorFields), req.body);
      const { actor: given, note, ...resolution } = body;
      const ticket = await call(() =>
        service.transition(String(req.params.id), {
          to: 'resolved',
          actor: actor(req, given),
          note,
          resolution,
        }),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/close',
    route(async (req, res) => {
      const body = parseOr400(
        z.object({ ...actorFields, feedback: feedbackSchema.optional() }),
        req.body ?? {},
      );
      const ticket = await call(() =>
        service.transition(String(req.params.id), {
          to: 'closed',
          actor: actor(req, body.actor),
          note: body.note,
          feedback: body.feedback,
        }),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/assign',
    route(async (req, res) => {
      const body = parseOr400(assignBody, req.body);
      const who = actor(req, body.actor);
      const ticket = await call(() =>
        service.assign(
          String(req.params.id),
          'auto' in body
            ? { auto: true, actor: who, note: body.note }
            : { outletId: body.outletId, actor: who, note: body.note },
        ),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/feedback',
    route(async (req, res) => {
      const body = parseOr400(feedbackSchema.and(z.object({ actor: actorFields.actor })), req.body);
      const { actor: given, ...feedback } = body;
      const ticket = await call(() =>
        service.addFeedback(String(req.params.id), feedback, actor(req, given)),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/follow-up',
    route(async (req, res) => {
      const body = parseOr400(noteBody, req.body);
      const ticket = await call(() =>
        service.completeFollowUp(String(req.params.id), actor(req, body.actor), body.note),
      );
      res.json({ ticket: view(ticket) });
    }),
  );

  router.post(
    '/:id/notes',
    route(async (req, res) => {
      const body = parseOr400(noteBody, req.body);
      const ticket = await call(() =>
        service.addNote(String(req.params.id), actor(req, body.actor), body.note),
      );
      res.status(201).json({ ticket: view(ticket) });
    }),
  );

  return { basePath: '/api/tickets', router, openapi: TICKET_OPENAPI };
}

/** `YYYY-MM` of the month before the one `now` falls in (UTC): the last complete month. */
function previousMonth(now: number): string {
  const date = new Date(now);
  const previous = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1));
  return previous.toISOString().slice(0, 7);
}

export interface KnowledgeRouteDeps {
  service: TicketService;
}

/** The case knowledge base: fixes that worked for a fault code on a model. */
export function knowledgeRoutes(deps: KnowledgeRouteDeps): RouteModule {
  const router = Router();
  router.get(
    '/',
    route(async (req, res) => {
      const { model, faultCode } = parseOr400(
        z.object({
          model: z.string().min(1, 'give a model'),
          faultCode: z.string().min(1, 'give a fault code'),
        }),
        req.query,
      );
      const suggestions = await deps.service.knowledge(model, faultCode);
      res.json({
        model,
        faultCode,
        suggestions: suggestions.map(suggestionView),
      });
    }),
  );
  return {
    basePath: '/api/knowledge',
    router,
    openapi: {
      '/api/knowledge': {
        get: {
          summary:
            'Fixes that resolved this fault code on this model before, ranked by first-time fixes: {model, faultCode, suggestions: [{resolutionCode, timesUsed, firstTimeFixes, firstTimeFixRate, parts, lastUsedAt, exampleTickets}]}',
          parameters: [
            { name: 'model', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'faultCode', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            200: { description: 'suggestions' },
            400: { description: 'model or faultCode missing' },
          },
        },
      },
    },
  };
}

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const errors = {
  400: {
    description: 'invalid body',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  },
  404: { description: 'no such ticket' },
  409: { description: 'the ticket cannot make this change now (the message says why)' },
};
const jsonBody = (properties: Record<string, unknown>, required: string[] = []) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', required, properties } } },
});
const actorProps = { actor: { type: 'string' }, note: { type: 'string' } };
const feedbackProps = {
  type: 'object',
  properties: {
    csat: { type: 'integer', minimum: 1, maximum: 5 },
    nps: { type: 'integer', minimum: 0, maximum: 10 },
    comment: { type: 'string' },
  },
};
const resolutionProps = {
  resolutionCode: { type: 'string', examples: ['REPLACE-BEARING'] },
  faultCode: { type: 'string', examples: ['VIB-TREND'] },
  parts: {
    type: 'array',
    items: { type: 'object', properties: { partNumber: { type: 'string' }, quantity: { type: 'integer' } } },
  },
  firstTimeFix: { type: 'boolean' },
};
const ticketChange = (summary: string, body: ReturnType<typeof jsonBody>) => ({
  post: {
    summary,
    parameters: [idParam],
    requestBody: body,
    responses: { 200: { description: '{ticket}' }, ...errors },
  },
});

const TICKET_OPENAPI: Record<string, unknown> = {
  '/api/tickets': {
    get: {
      summary: 'Tickets, newest first: {tickets: [...]}',
      parameters: [
        { name: 'status', in: 'query', description: 'comma-separated statuses', schema: { type: 'string' } },
        {
          name: 'priority',
          in: 'query',
          description: 'comma-separated, e.g. P1,P2',
          schema: { type: 'string' },
        },
        { name: 'device', in: 'query', schema: { type: 'string' } },
        { name: 'category', in: 'query', schema: { enum: ['machine', 'data_quality'] } },
        { name: 'kind', in: 'query', schema: { enum: ['proactive', 'reactive'] } },
        { name: 'outlet', in: 'query', schema: { type: 'string' } },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', default: DEFAULT_LIMIT, maximum: MAX_LIMIT },
        },
        { name: 'offset', in: 'query', schema: { type: 'integer', default: 0 } },
      ],
      responses: { 200: { description: 'tickets' }, 400: errors[400] },
    },
    post: {
      summary: 'Open a reactive ticket (reported by a customer or a person): 201 {ticket}',
      requestBody: jsonBody(
        {
          device: { type: 'string' },
          model: { type: 'string', description: 'needed when the device is not registered' },
          faultCode: { type: 'string' },
          category: { enum: ['machine', 'data_quality'] },
          priority: { enum: PRIORITIES, default: 'P2' },
          title: { type: 'string' },
          description: { type: 'string' },
          reportedBy: { type: 'string' },
          lat: { type: 'number' },
          lon: { type: 'number' },
        },
        ['device', 'title', 'reportedBy'],
      ),
      responses: {
        201: { description: '{ticket}' },
        400: errors[400],
        409: { description: 'already open for this fault' },
      },
    },
  },
  '/api/tickets/stats': {
    get: {
      summary:
        'Service measures for tickets opened in [from, to) (default: the last 30 days): MTTR, first response, SLA compliance, first-time fix, proactive share, no-fault-found per rule, CSAT/NPS, follow-ups due',
      parameters: [
        { name: 'from', in: 'query', schema: { type: 'string' } },
        { name: 'to', in: 'query', schema: { type: 'string' } },
      ],
      responses: { 200: { description: 'measures' }, 400: errors[400] },
    },
  },
  '/api/tickets/reports/monthly': {
    get: {
      summary: 'Top-3 fault codes per model for a month, for R&D (default: the last complete month)',
      parameters: [{ name: 'month', in: 'query', schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } }],
      responses: { 200: { description: '{month, models: [{model, tickets, topFaults}]}' }, 400: errors[400] },
    },
  },
  '/api/tickets/sla-policy': {
    get: {
      summary: 'Respond and resolve targets per priority, minutes',
      responses: { 200: { description: '{policy}' } },
    },
  },
  '/api/tickets/{id}': {
    get: {
      summary: 'One ticket with its history, linked findings and knowledge-base suggestions',
      parameters: [idParam],
      responses: { 200: { description: '{ticket, history, findings, suggestions}' }, 404: errors[404] },
    },
  },
  '/api/tickets/{id}/transitions': ticketChange(
    'Change the status: open → acknowledged → dispatched → in_progress → resolved → closed, or cancelled / no_fault_found; 409 when the lifecycle does not allow it',
    jsonBody(
      {
        to: { enum: TICKET_STATUSES },
        ...actorProps,
        technician: { type: 'string' },
        resolution: { type: 'object', properties: resolutionProps },
        feedback: feedbackProps,
      },
      ['to'],
    ),
  ),
  '/api/tickets/{id}/resolve': ticketChange(
    'Resolve an in-progress ticket with what was done',
    jsonBody({ ...resolutionProps, ...actorProps }, ['resolutionCode', 'faultCode', 'firstTimeFix']),
  ),
  '/api/tickets/{id}/close': ticketChange(
    'Close a resolved ticket, optionally with customer feedback (NPS under 7 flags a follow-up call)',
    jsonBody({ ...actorProps, feedback: feedbackProps }),
  ),
  '/api/tickets/{id}/assign': ticketChange(
    'Assign or reassign an outlet by hand ({outletId}, null to unassign), or {auto: true} for the nearest capable one',
    jsonBody({ outletId: { type: ['string', 'null'] }, auto: { const: true }, ...actorProps }),
  ),
  '/api/tickets/{id}/feedback': ticketChange(
    'Customer feedback after closing: CSAT 1–5, NPS 0–10, comment',
    jsonBody({ ...feedbackProps.properties, actor: { type: 'string' } }),
  ),
  '/api/tickets/{id}/follow-up': ticketChange(
    'Record that the follow-up call to an unhappy customer was made',
    jsonBody(actorProps, ['note']),
  ),
  '/api/tickets/{id}/notes': {
    post: {
      summary: 'Add a note to the history',
      parameters: [idParam],
      requestBody: jsonBody(actorProps, ['note']),
      responses: { 201: { description: '{ticket}' }, ...errors },
    },
  },
};
