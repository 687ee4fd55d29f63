import { useQuery } from '@tanstack/react-query';
import { LoadingState, QueryState } from '../../components/states';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { api } from '../../lib/api';

type Vocabulary = {
  values: { field: string; value: string; words: string[] }[];
  attributes: { field: string; words: string[] }[];
  data: {
    transactions: number;
    values: Record<'type' | 'channel' | 'currency' | 'country' | 'counterparty_country', Record<string, number>>;
    attributes: { key: string; count: number }[];
    mapped: Record<string, string[]>;
  };
};

function stored(values: Record<string, number>): string {
  const entries = Object.entries(values);
  return entries.length === 0 ? 'none yet' : entries.map(([value, count]) => `${value} (${count})`).join(', ');
}

/**
 * The words policy drafts are written in, beside the values this organization's data holds: a source
 * mapping its ERP's values onto the left-hand column makes drafts find its transactions at once.
 */
export function RuleVocabulary() {
  const vocabulary = useQuery({
    queryKey: ['policies', 'vocabulary'],
    queryFn: () => api<Vocabulary>('/api/policies/vocabulary'),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Rule vocabulary</CardTitle>
        <CardDescription>
          Draft rules extracted from policies use these values and attributes, then map them onto the values your
          transactions hold. Map your ERP's values onto them (value maps above) to make that mapping exact.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4 text-sm">
        <QueryState query={vocabulary} loading={<LoadingState rows={3} label="Loading the rule vocabulary" />}>
          {(terms) => (
            <>
              <div className="overflow-x-auto">
                <table className="w-full text-left" aria-label="Rule vocabulary values">
                  <thead className="text-xs text-muted-foreground">
                    <tr>
                      <th className="py-1">Field</th>
                      <th>Value</th>
                      <th>Also matched in your data by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {terms.values.map((entry) => (
                      <tr key={`${entry.field}=${entry.value}`} className="border-t">
                        <td className="py-1 font-mono text-xs">{entry.field}</td>
                        <td className="font-mono text-xs">{entry.value}</td>
                        <td className="text-xs text-muted-foreground">{entry.words.join(', ')}</td>
                      </tr>
                    ))}
                    {terms.attributes.map((entry) => (
                      <tr key={entry.field} className="border-t">
                        <td className="py-1 font-mono text-xs">{entry.field}</td>
                        <td className="text-xs text-muted-foreground">(present or missing)</td>
                        <td className="text-xs text-muted-foreground">{entry.words.join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <div data-testid="stored-vocabulary">
                <p className="font-medium">Your data ({terms.data.transactions} newest transactions looked at)</p>
                <ul className="list-disc pl-5 text-xs">
                  <li>type: {stored(terms.data.values.type)}</li>
                  <li>channel: {stored(terms.data.values.channel)}</li>
                  <li>currency: {stored(terms.data.values.currency)}</li>
                  <li>
                    attributes:{' '}
                    {terms.data.attributes.length === 0
                      ? 'none yet'
                      : terms.data.attributes.map(({ key, count }) => `${key} (${count})`).join(', ')}
                  </li>
                </ul>
              </div>
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
