import { type AddressPolicy, AddressRefused, checkHostPort } from '../../platform/address-guard';
import { SourceError } from './reader';

export type DatabaseAddress = { host: string; port: number; user: string; password: string; database: string };

/** A `postgres://` or `mysql://` URL taken apart; its host and port pass the address guard. */
export async function guardedDatabaseUrl(
  raw: string,
  schemes: string[],
  defaultPort: number,
  policy: AddressPolicy,
): Promise<DatabaseAddress> {
  const address = databaseAddress(raw, schemes, defaultPort);
  try {
    await checkHostPort(address.host, address.port, policy);
  } catch (error) {
    if (error instanceof AddressRefused) throw new SourceError(`The database host ${error.message}.`);
    throw error;
  }
  return address;
}

export function databaseAddress(raw: string, schemes: string[], defaultPort: number): DatabaseAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceError('The connection URL is not a valid URL.');
  }
  if (!schemes.includes(url.protocol)) throw new SourceError(`The connection URL must start with ${schemes[0]}//.`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!url.hostname || !database) throw new SourceError('The connection URL must name a host and a database.');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : defaultPort,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
  };
}
