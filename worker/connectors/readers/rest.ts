import { AddressRefused, checkUrl } from '../../platform/address-guard';
import { isObject, locate } from '../../transactions/exact-json';
import type { RestConfig } from '../schemas';
import { type ConnectorReader, type ReaderInput, SourceError, type SourceRow } from './reader';

/** A page of JSON at most this large: a REST page is read whole. */
const MAX_PAGE_BYTES = 32 * 1024 * 1024;

/**
 * Reads a JSON REST endpoint page by page. The first request sends the stored cursor as
 * `cursor_param`; each answer's `next_page_path` gives the next page (a URL, or a cursor for
 * `cursor_param`) until it is empty. The cursor kept after the last page is the one that fetched
 * it: the next run asks again from there and finds only what is new (what it re-reads is a duplicate).
 */
export function restReader({ config, secret, policy }: ReaderInput<RestConfig>, amountPath: string): ConnectorReader {
  const amountKey = amountPath.slice(amountPath.lastIndexOf('.') + 1);
  const pageUrl = (cursor: string | null): string => {
    if (cursor && /^https?:\/\//i.test(cursor)) return cursor;
    const url = new URL(secret.url);
    if (cursor) url.searchParams.set(config.cursor_param, cursor);
    return url.toString();
  };
  return {
    async nextPage(cursor) {
      const url = pageUrl(cursor);
      try {
        await checkUrl(url, policy);
      } catch (error) {
        if (error instanceof AddressRefused) throw new SourceError(`The REST URL ${error.message}.`);
        throw error;
      }
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/json', ...secret.headers },
          redirect: 'manual',
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        throw new SourceError(`REST: the endpoint could not be reached (${(error as Error).message}).`);
      }
      if (response.status >= 300 && response.status < 400)
        throw new SourceError(`REST: the endpoint answered ${response.status} (redirects are not followed).`);
      if (!response.ok) throw new SourceError(`REST: the endpoint answered ${response.status}.`);
      const text = await response.text();
      if (text.length > MAX_PAGE_BYTES) throw new SourceError('REST: a page is larger than 32 MB.');
      let body: unknown;
      try {
        // Amounts read from their source text, so a JSON number keeps every digit.
        body = JSON.parse(text, (key, value, context?: { source?: string }) =>
          key === amountKey && typeof value === 'number' && context?.source ? context.source : value,
        );
      } catch {
        throw new SourceError('REST: the answer is not JSON.');
      }
      const found = locate(body, config.items_path);
      const items = found ? found.holder[found.key] : undefined;
      if (!Array.isArray(items)) throw new SourceError(`REST: the answer has no array at "${config.items_path}".`);
      const rows = items.filter(isObject) as SourceRow[];
      const nextAt = config.next_page_path ? locate(body, config.next_page_path) : undefined;
      const next = nextAt ? nextAt.holder[nextAt.key] : undefined;
      if (rows.length === 0 || next === undefined || next === null || next === '') return { rows, cursor, last: true };
      return { rows, cursor: String(next), last: false };
    },
    close: async () => {},
  };
}
