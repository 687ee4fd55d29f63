import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import type { Page, Rule } from './types';

/** Rule names by id for tables that show violations; the first 200 rules cover a typical organization. */
export function useRuleNames(): Map<string, string> {
  const rules = useQuery({
    queryKey: ['rules', 'names'],
    queryFn: () => api<Page<Rule>>('/api/rules?limit=200'),
    staleTime: 60_000,
  });
  return new Map(rules.data?.items.map((rule) => [rule.id, rule.name]) ?? []);
}
