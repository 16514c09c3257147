import { Type } from '@sinclair/typebox';

// What every Dcycle route shares: its OpenAPI tag, its headers and its base path.

export const tags = ['Dcycle'];
export const Headers = Type.Object({
  'x-api-key': Type.Optional(Type.String()),
  'x-organization-id': Type.Optional(Type.String()),
  'x-user-id': Type.Optional(Type.String({ maxLength: 255 })),
});

export const base = '/v1/custom-kpi-datasets';
