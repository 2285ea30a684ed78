import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTicketStore } from '../../tickets/sqlite-store.js';
import { ticketStoreContract } from './store-contract.js';

ticketStoreContract('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forewarn-tickets-'));
  return {
    store: new SqliteTicketStore(dir),
    reopen: () => new SqliteTicketStore(dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

ticketStoreContract('SQLite :memory:', async () => ({
  store: new SqliteTicketStore(':memory:'),
  reopen: null,
  cleanup: async () => undefined,
}));
