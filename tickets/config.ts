/** The `tickets` section of the configuration: SLA targets, the SLA check schedule and webhook targets. */
import cron from 'node-cron';
import { z } from 'zod';
import { slaPolicySchema } from './sla.js';
import { DEFAULT_SLA_CRON } from './sla-monitor.js';
import { WEBHOOK_EVENTS } from './types.js';

export const ticketsConfigSchema = z
  .object({
    /** Respond and resolve targets per priority, in minutes. */
    sla: slaPolicySchema.prefault({}),
    /** When the SLA check runs (node-cron syntax). */
    slaCron: z
      .string()
      .default(DEFAULT_SLA_CRON)
      .refine((expression) => cron.validate(expression), 'not a valid cron expression'),
    /** Webhook targets besides those created over the API. */
    webhooks: z
      .array(
        z.object({
          url: z.url({ protocol: /^https?$/ }),
          /** HMAC key; long enough not to be guessed. */
          secret: z.string().min(16, 'must be at least 16 characters'),
          events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
        }),
      )
      .default([]),
  })
  .prefault({});

export type TicketsConfig = z.infer<typeof ticketsConfigSchema>;
