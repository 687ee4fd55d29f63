import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { SEVERITIES } from '../../../worker/rules/language/schema';
import { SeverityBadge } from '../components/badges';
import { PageHeader } from '../components/page-header';
import { EmptyState, LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Progress } from '../components/ui/progress';
import { Skeleton } from '../components/ui/skeleton';
import { api } from '../lib/api';
import { displayTimeZone, formatCount, formatDate, formatDateTime, humanize } from '../lib/format';
import type { Overview, Page, Violation } from '../lib/types';

const SEVERITY_COLORS = { low: '#94a3b8', medium: '#f59e0b', high: '#ef4444', critical: '#991b1b' } as const;

function Kpi({
  label,
  value,
  detail,
  children,
}: {
  label: string;
  value: string;
  detail?: React.ReactNode;
  children?: React.ReactNode;
}) {
  return (
    <Card>
      <CardContent className="grid gap-1 pt-5">
        <p className="text-sm text-muted-foreground">{label}</p>
        <p className="text-2xl font-semibold tabular-nums">{value}</p>
        {detail && <div className="text-xs text-muted-foreground">{detail}</div>}
        {children}
      </CardContent>
    </Card>
  );
}

/** `2026-12` as "December 2026" (a UTC month, as the plan meters it). */
function monthName(period: string): string {
  return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${period}-01T00:00:00Z`),
  );
}

function Kpis({ overview }: { overview: Overview }) {
  const { transactions, open_violations: open, compliance_rate: rate, last_scan: scan } = overview;
  const openTotal = SEVERITIES.reduce((sum, severity) => sum + open[severity], 0);
  const used = transactions.limit ? Math.round((transactions.this_month / transactions.limit) * 100) : null;
  return (
    <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <Kpi
        label={`Transactions received in ${monthName(overview.period)}`}
        value={formatCount(transactions.this_month)}
        detail={
          <>
            Counted when ingested, whatever date they carry;{' '}
            {transactions.limit
              ? `of ${formatCount(transactions.limit)} on the ${humanize(transactions.plan)} plan`
              : `unlimited on the ${humanize(transactions.plan)} plan`}
          </>
        }
      >
        {used !== null && <Progress value={used} aria-label="Share of the monthly plan used" className="mt-1" />}
      </Kpi>
      <Kpi
        label="Open violations"
        value={formatCount(openTotal)}
        detail={
          <span className="flex flex-wrap gap-x-2">
            {SEVERITIES.slice()
              .reverse()
              .map((severity) => (
                <span key={severity}>
                  {formatCount(open[severity])} {severity}
                </span>
              ))}
          </span>
        }
      />
      <Kpi
        label="Compliance rate"
        value={rate === null ? '—' : `${(rate * 100).toFixed(1)}%`}
        detail="Transactions that occurred this month without a confirmed violation"
      />
      <Kpi
        label="Last scan"
        value={scan ? humanize(scan.status) : 'None yet'}
        detail={
          scan ? (
            <>
              {formatDateTime(scan.finished_at ?? scan.created_at)} · {formatCount(scan.violations_found)} violations
            </>
          ) : (
            <Link className="text-primary hover:underline" to="/scans">
              Run the first scan
            </Link>
          )
        }
      />
    </div>
  );
}

const CHART_BASES = {
  detected: { label: 'Detection date', description: 'Violations per day they were detected' },
  occurred: { label: 'Transaction date', description: 'Violations per day their transaction occurred' },
} as const;

function Charts({ overview }: { overview: Overview }) {
  const [basis, setBasis] = useState<keyof typeof CHART_BASES>('detected');
  const days = basis === 'detected' ? overview.violations_by_day : overview.violations_by_transaction_day;
  const breakdown = SEVERITIES.map((severity) => ({
    severity: humanize(severity),
    key: severity,
    count: overview.open_violations[severity],
  }));
  return (
    <div className="grid gap-4 xl:grid-cols-3">
      <Card className="xl:col-span-2">
        <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-2 space-y-0">
          <div className="grid gap-1.5">
            <CardTitle>Violations over time</CardTitle>
            <CardDescription>
              {CHART_BASES[basis].description}, last 30 days ({overview.time_zone.replaceAll('_', ' ')})
            </CardDescription>
          </div>
          <fieldset className="flex gap-1">
            <legend className="sr-only">Count violations by</legend>
            {(Object.keys(CHART_BASES) as (keyof typeof CHART_BASES)[]).map((key) => (
              <Button
                key={key}
                type="button"
                size="sm"
                variant={basis === key ? 'secondary' : 'ghost'}
                aria-pressed={basis === key}
                onClick={() => setBasis(key)}
              >
                {CHART_BASES[key].label}
              </Button>
            ))}
          </fieldset>
        </CardHeader>
        <CardContent className="h-72">
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart data={days} margin={{ left: -16, right: 8 }} accessibilityLayer>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis
                dataKey="date"
                tickFormatter={(date: string) => formatDate(date).replace(/,? \d{4}$/, '')}
                fontSize={12}
                minTickGap={24}
              />
              <YAxis allowDecimals={false} fontSize={12} />
              <Tooltip labelFormatter={(date) => formatDate(String(date))} />
              <Legend />
              {SEVERITIES.map((severity) => (
                <Area
                  key={severity}
                  type="monotone"
                  dataKey={severity}
                  name={humanize(severity)}
                  stackId="severity"
                  isAnimationActive={false}
                  stroke={SEVERITY_COLORS[severity]}
                  fill={SEVERITY_COLORS[severity]}
                  fillOpacity={0.35}
                />
              ))}
            </AreaChart>
          </ResponsiveContainer>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Open by severity</CardTitle>
        </CardHeader>
        <CardContent className="h-72">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={breakdown} layout="vertical" margin={{ left: 8, right: 16 }} accessibilityLayer>
              <XAxis type="number" allowDecimals={false} fontSize={12} />
              <YAxis type="category" dataKey="severity" fontSize={12} width={64} />
              <Tooltip />
              <Bar dataKey="count" name="Open violations" isAnimationActive={false}>
                {breakdown.map((entry) => (
                  <Cell key={entry.key} fill={SEVERITY_COLORS[entry.key]} />
                ))}
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </CardContent>
      </Card>
    </div>
  );
}

function TopRules({ overview }: { overview: Overview }) {
  const max = Math.max(1, ...overview.top_rules.map((rule) => rule.violations));
  return (
    <Card>
      <CardHeader>
        <CardTitle>Top rules</CardTitle>
        <CardDescription>Most violations in the last 30 days</CardDescription>
      </CardHeader>
      <CardContent>
        {overview.top_rules.length === 0 ? (
          <p className="text-sm text-muted-foreground">No rule has fired in the last 30 days.</p>
        ) : (
          <ol className="grid gap-3">
            {overview.top_rules.map((rule) => (
              <li key={rule.rule_id} className="grid gap-1">
                <div className="flex justify-between gap-2 text-sm">
                  <Link
                    className="truncate font-medium hover:underline"
                    to={`/violations?rule_id=${rule.rule_id}&status=`}
                  >
                    {rule.name}
                  </Link>
                  <span className="tabular-nums text-muted-foreground">
                    {formatCount(rule.violations)} ({formatCount(rule.open)} open)
                  </span>
                </div>
                <div className="h-1.5 rounded-full bg-slate-100" aria-hidden>
                  <div
                    className="h-full rounded-full bg-primary"
                    style={{ width: `${(rule.violations / max) * 100}%` }}
                  />
                </div>
              </li>
            ))}
          </ol>
        )}
      </CardContent>
    </Card>
  );
}

function LatestFindings() {
  const latest = useQuery({
    queryKey: ['violations', 'latest-open'],
    queryFn: () => api<Page<Violation>>('/api/violations?status=open&limit=6'),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Needs review</CardTitle>
        <CardDescription>The newest open violations, by the rule that found them</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState
          query={latest}
          loading={<LoadingState rows={3} />}
          empty={<p className="text-sm text-muted-foreground">Nothing waiting for review.</p>}
        >
          {(data) => (
            <ul className="grid gap-2">
              {data.items.map((violation) => (
                <li key={violation.id} className="flex items-start gap-2 text-sm">
                  <SeverityBadge severity={violation.severity} />
                  <div className="grid min-w-0 gap-0.5">
                    <Link to={`/violations/${violation.id}`} className="truncate font-medium hover:underline">
                      {violation.rule_name}
                    </Link>
                    <span className="line-clamp-2 text-xs text-muted-foreground">
                      {violation.transaction_id} · {violation.explanation}
                    </span>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

/** Without the aggregate endpoint the page still shows what list endpoints give exactly. */
export function OverviewPage() {
  const zone = displayTimeZone();
  const overview = useQuery({
    queryKey: ['overview', zone],
    queryFn: () => api<Overview>(`/api/overview?time_zone=${encodeURIComponent(zone)}`),
  });
  return (
    <>
      <PageHeader title="Overview" description="Where compliance stands this month." />
      <div className="grid gap-4">
        <QueryState
          query={overview}
          loading={
            <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
              {Array.from({ length: 4 }, (_, index) => (
                <Skeleton key={index} className="h-28" />
              ))}
            </div>
          }
        >
          {(data) => (
            <>
              <Kpis overview={data} />
              {data.top_rules.length === 0 && data.last_scan === null ? (
                <EmptyState
                  title="No activity yet"
                  description="Upload a policy, approve its rules and load transactions: this page fills in as violations are found."
                  action={
                    <Link className="text-primary hover:underline" to="/policies">
                      Start with a policy
                    </Link>
                  }
                />
              ) : (
                <Charts overview={data} />
              )}
            </>
          )}
        </QueryState>
        <div className="grid gap-4 lg:grid-cols-2">
          {overview.isSuccess && <TopRules overview={overview.data} />}
          <LatestFindings />
        </div>
      </div>
    </>
  );
}
