import { Link } from 'react-router';
import { humanize } from '../lib/format';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTransactionList(key: string, value: unknown): value is string[] {
  return /transaction/.test(key) && Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="text-muted-foreground">absent</span>;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return <span className="font-mono text-xs">{String(value)}</span>;
  return <pre className="overflow-x-auto rounded bg-slate-50 p-2 text-xs">{JSON.stringify(value, null, 2)}</pre>;
}

/**
 * The evidence the engine stored with a violation, shown as it is: fields read, aggregate values,
 * and the contributing transactions as links.
 */
export function EvidenceView({ evidence }: { evidence: Record<string, unknown> }) {
  // A rule without aggregates stores `aggregates: []`: an empty section says nothing.
  const entries = Object.entries(evidence).filter(([, value]) => !(Array.isArray(value) && value.length === 0));
  if (entries.length === 0) return <p className="text-sm text-muted-foreground">No evidence was recorded.</p>;
  return (
    <dl className="grid gap-3">
      {entries.map(([key, value]) => (
        <div key={key} className="grid gap-1">
          <dt className="text-xs font-semibold uppercase tracking-wide text-muted-foreground">{humanize(key)}</dt>
          <dd>
            <EvidenceValue name={key} value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function EvidenceValue({ name, value }: { name: string; value: unknown }) {
  if (isTransactionList(name, value)) {
    return (
      <ul className="flex flex-wrap gap-1.5" aria-label="Contributing transactions">
        {value.map((id) => (
          <li key={id}>
            <Link
              className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-primary hover:underline"
              to={`/transactions/${encodeURIComponent(id)}`}
            >
              {id}
            </Link>
          </li>
        ))}
      </ul>
    );
  }
  if (Array.isArray(value) && value.every(isRecord)) {
    return (
      <div className="grid gap-2">
        {value.map((item, index) => (
          <div key={index} className="rounded-md border p-3">
            <EvidenceView evidence={item} />
          </div>
        ))}
      </div>
    );
  }
  if (isRecord(value) && Object.values(value).every((item) => !isRecord(item) && !Array.isArray(item))) {
    return (
      <table className="text-sm">
        <tbody>
          {Object.entries(value).map(([key, item]) => (
            <tr key={key}>
              <th scope="row" className="pr-4 text-left font-mono text-xs font-normal text-muted-foreground">
                {key}
              </th>
              <td>
                <Scalar value={item} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  if (isRecord(value)) return <EvidenceView evidence={value} />;
  return <Scalar value={value} />;
}
