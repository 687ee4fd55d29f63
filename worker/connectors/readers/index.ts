import type { AddressPolicy } from '../../platform/address-guard';
import { amountPath, type SourceMapping } from '../../sources/mapping';
import type { ConnectorType, RestConfig, SqlConfig } from '../schemas';
import { mysqlReader } from './mysql';
import { postgresReader } from './postgres';
import type { ConnectorReader, ConnectorSecret } from './reader';
import { restReader } from './rest';

type OpenInput = {
  type: ConnectorType;
  config: Record<string, unknown>;
  secret: ConnectorSecret;
  policy: AddressPolicy;
  mapping: SourceMapping;
};

/** Each connector kind's reader; a new kind is one file and one line here. */
const READERS: Record<ConnectorType, (input: OpenInput) => Promise<ConnectorReader>> = {
  postgres: (input) => postgresReader({ ...input, config: input.config as SqlConfig }),
  mysql: (input) => mysqlReader({ ...input, config: input.config as SqlConfig }),
  rest: async (input) => restReader({ ...input, config: input.config as RestConfig }, amountPath(input.mapping)),
};

export function openReader(input: OpenInput): Promise<ConnectorReader> {
  return READERS[input.type](input);
}
