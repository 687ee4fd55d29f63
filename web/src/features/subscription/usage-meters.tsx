import { LIMIT_LABELS, LIMIT_NAMES, LIMIT_NEAR_RATIO, type LimitName } from '../../../../worker/subscription/catalogue';
import { Card, CardContent } from '../../components/ui/card';
import { Progress } from '../../components/ui/progress';
import { formatCount } from '../../lib/format';
import type { Subscription } from '../../lib/types';

const METER_TITLES: Record<LimitName, string> = {
  users: 'Active users',
  policies: 'Policies',
  rules: 'Rules in force',
  transactions_per_month: 'Transactions this month',
};

function Meter({ name, used, limit }: { name: LimitName; used: number; limit: number | null }) {
  const percent = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  const title = METER_TITLES[name];
  // Whole class names, so Tailwind finds them in the source.
  const tone =
    limit !== null && used >= limit
      ? '[&>div]:bg-red-600'
      : percent >= LIMIT_NEAR_RATIO * 100
        ? '[&>div]:bg-amber-500'
        : undefined;
  return (
    <Card>
      <CardContent className="grid gap-2 pt-5">
        <div className="flex items-baseline justify-between gap-2">
          <p className="text-sm text-muted-foreground">{title}</p>
          <p className="tabular-nums">
            <span className="text-xl font-semibold">{formatCount(used)}</span>{' '}
            <span className="text-sm text-muted-foreground">/ {limit === null ? 'unlimited' : formatCount(limit)}</span>
          </p>
        </div>
        {limit !== null ? (
          <Progress
            value={percent}
            aria-label={`${title}: ${formatCount(used)} of ${formatCount(limit)} ${LIMIT_LABELS[name].many}`}
            className={tone}
          />
        ) : (
          <p className="text-xs text-muted-foreground">No limit on this plan.</p>
        )}
        {limit !== null && used >= limit && (
          <p className="text-xs font-medium text-red-700">Limit reached: upgrade to add more.</p>
        )}
      </CardContent>
    </Card>
  );
}

/** One progress bar per plan limit: what the organization uses against what its plan allows. */
export function UsageMeters({ subscription }: { subscription: Subscription }) {
  return (
    <section aria-label="Usage" className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
      {LIMIT_NAMES.map((name) => (
        <Meter key={name} name={name} used={subscription.usage[name]} limit={subscription.limits[name]} />
      ))}
    </section>
  );
}
