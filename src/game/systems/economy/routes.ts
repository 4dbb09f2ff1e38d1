import { z } from 'zod';
import { queryInt, routesOf, type GameRoute } from '../../http/index.js';
import {
  Audit,
  EconomyHistory,
  EconomySummary,
  Gold,
  LedgerPage,
  TradeResult,
  TransferResult,
  WalletView,
} from './schemas.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });
const Trade = z.strictObject({ itemId: z.string().max(64), quantity: z.int().min(1).max(10_000) });

/** Wallets, ledgers, transfers, the market, and the operators' view of the economy. */
export const economyRoutes: readonly GameRoute[] = routesOf('economy', (route) => {
  route({
    method: 'GET',
    url: '/characters/:id/wallet',
    access: 'player',
    summary: 'A character’s gold (status "opening" for a moment after the character is created)',
    params: Id,
    responses: { 200: WalletView },
    async handle({ params, execute }) {
      return { body: await execute('economy.wallet', { characterId: params.id }) };
    },
  });
  route({
    method: 'GET',
    url: '/characters/:id/ledger',
    access: 'player',
    summary: 'A character’s ledger lines, newest first, paged',
    params: Id,
    query: z.strictObject({
      limit: queryInt(1, 200).optional(),
      cursor: z.string().max(200).optional(),
    }),
    responses: { 200: LedgerPage },
    async handle({ params, query, execute }) {
      return {
        body: await execute('economy.ledger', {
          characterId: params.id,
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
      };
    },
  });
  route({
    method: 'POST',
    url: '/characters/:id/transfer',
    access: 'player',
    idempotent: true,
    summary: 'Give gold to any character',
    params: Id,
    body: z.strictObject({ toCharacterId: z.string().min(1).max(64), gold: Gold }),
    responses: { 200: TransferResult },
    async handle({ params, body, execute }) {
      return { body: await execute('economy.transfer', { fromCharacterId: params.id, ...body }) };
    },
  });
  for (const side of ['buy', 'sell'] as const) {
    route({
      method: 'POST',
      url: `/characters/:id/market/${side}`,
      access: 'player',
      idempotent: true,
      summary:
        side === 'buy'
          ? 'Buy items at the market price'
          : 'Sell items at the market price (404 for an item the market pays nothing for: nothing is taken)',
      params: Id,
      body: Trade,
      responses: { 200: TradeResult },
      async handle({ params, body, execute }) {
        return {
          body: await execute(side === 'buy' ? 'economy.buy' : 'economy.sell', { characterId: params.id, ...body }),
        };
      },
    });
  }
  route({
    method: 'GET',
    url: '/admin/economy',
    access: 'admin',
    summary: 'Gold supply, and gold by source and sink',
    responses: { 200: EconomySummary },
    async handle({ execute }) {
      return { body: await execute('economy.summary', {}) };
    },
  });
  route({
    method: 'GET',
    url: '/admin/economy/audit',
    access: 'admin',
    summary: 'Every wallet recomputed from the ledger',
    responses: { 200: Audit },
    async handle({ execute }) {
      return { body: await execute('economy.audit', {}) };
    },
  });
  route({
    method: 'GET',
    url: '/admin/economy/history',
    access: 'admin',
    summary: 'Gold supply per hour, and gold by source and sink per hour',
    query: z.strictObject({ hours: queryInt(1, 168).optional() }),
    responses: { 200: EconomyHistory },
    async handle({ query, execute }) {
      return { body: await execute('economy.history', query.hours === undefined ? {} : { hours: query.hours }) };
    },
  });
});
