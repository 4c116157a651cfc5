import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Nullable } from './schemas.js';

export const Meta = Type.Object({
  timezone: Type.String({ description: 'the zone every local day, month and time of reports is in (DGA_TIMEZONE)' }),
  map_style_url: Nullable(Type.String({ description: 'MapLibre style of the web map; null: the built-in offline style' })),
});

export interface MetaOptions {
  reportTimezone: string;
  mapStyleUrl?: string;
}

/** What a client (the web application) needs to know before login: the reporting zone and the map's base layer. */
export const metaRoutes: FastifyPluginAsync<MetaOptions> = async (app, { reportTimezone, mapStyleUrl }) => {
  app.withTypeProvider<TypeBoxTypeProvider>().get('/meta', {
    schema: { tags: ['operations'], summary: 'Reporting time zone and web map settings', security: [], response: { 200: Meta } },
    handler: async () => ({ timezone: reportTimezone, map_style_url: mapStyleUrl ?? null }),
  });
};
