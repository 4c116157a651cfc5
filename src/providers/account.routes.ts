import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { registerCrud } from '../http/crud.js';
import { Pagination } from '../http/schemas.js';
import { Account, AccountBody, AccountPatch } from './account.schemas.js';
import type { ProviderAccountService } from './account.service.js';

export interface AccountRouteServices {
  providerAccounts: ProviderAccountService;
}

export const providerAccountRoutes: FastifyPluginAsync<AccountRouteServices> = async (app, { providerAccounts }) => {
  registerCrud(app, {
    path: '/provider-accounts',
    tag: 'providers',
    row: Account,
    body: AccountBody,
    patch: AccountPatch,
    query: Type.Object(Pagination),
    service: providerAccounts,
  });
};
