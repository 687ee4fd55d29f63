import { Check, Minus } from 'lucide-react';
import {
  countOf,
  FEATURE_NAMES,
  FEATURES,
  LIMIT_NAMES,
  type LimitName,
  PLAN_IDS,
} from '../../../../worker/subscription/catalogue';
import { Button } from '../../components/ui/button';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { formatCount } from '../../lib/format';
import type { ExceededLimit, Plan, Subscription } from '../../lib/types';

const LIMIT_ROWS: Record<LimitName, string> = {
  users: 'Active users',
  policies: 'Policies',
  rules: 'Rules in force',
  transactions_per_month: 'Transactions a month',
};

/** The limits of `plan` the organization's current usage exceeds: why a downgrade would be refused. */
export function exceededBy(plan: Plan, subscription: Subscription): ExceededLimit[] {
  return LIMIT_NAMES.flatMap((limit) => {
    const allowed = plan.limits[limit];
    const used = subscription.usage[limit];
    return allowed !== null && used > allowed ? [{ limit, used, allowed }] : [];
  });
}

export function refusalReasons(exceeded: ExceededLimit[]): string[] {
  return exceeded.map((e) => `At most ${countOf(e.limit, e.allowed)}: you have ${formatCount(e.used)}.`);
}

const rank = (id: Plan['id']) => PLAN_IDS.indexOf(id);

type Props = {
  plans: Plan[];
  subscription: Subscription;
  pending: string | null;
  onChoose: (plan: Plan) => void;
  canChange: boolean;
};

/** Every plan side by side, with the action each allows from the plan in force. */
export function PlanComparison({ plans, subscription, pending, onChoose, canChange }: Props) {
  const current = subscription.plan_in_force;
  return (
    <div className="overflow-x-auto">
      <Table aria-label="Plan comparison">
        <TableHeader>
          <TableRow>
            <TableHead className="w-56">
              <span className="sr-only">What each plan includes</span>
            </TableHead>
            {plans.map((plan) => (
              <TableHead key={plan.id} scope="col" className="text-center">
                <span className="text-base font-semibold text-foreground">{plan.name}</span>
                {plan.id === current && <span className="ml-2 text-xs font-medium text-indigo-700">(current)</span>}
              </TableHead>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          <TableRow>
            <TableHead scope="row">Price</TableHead>
            {plans.map((plan) => (
              <TableCell key={plan.id} className="text-center tabular-nums">
                {plan.price_monthly === 0 ? 'Free' : `$${plan.price_monthly} / month`}
              </TableCell>
            ))}
          </TableRow>
          {LIMIT_NAMES.map((limit) => (
            <TableRow key={limit}>
              <TableHead scope="row">{LIMIT_ROWS[limit]}</TableHead>
              {plans.map((plan) => (
                <TableCell key={plan.id} className="text-center tabular-nums">
                  {plan.limits[limit] === null ? 'Unlimited' : formatCount(plan.limits[limit])}
                </TableCell>
              ))}
            </TableRow>
          ))}
          {FEATURES.map((feature) => (
            <TableRow key={feature}>
              <TableHead scope="row">{FEATURE_NAMES[feature]}</TableHead>
              {plans.map((plan) => (
                <TableCell key={plan.id} className="text-center">
                  {plan.features.includes(feature) ? (
                    <Check className="mx-auto size-4 text-emerald-600" aria-label="Included" />
                  ) : (
                    <Minus className="mx-auto size-4 text-slate-400" aria-label="Not included" />
                  )}
                </TableCell>
              ))}
            </TableRow>
          ))}
          {canChange && (
            <TableRow>
              <TableHead scope="row">
                <span className="sr-only">Change plan</span>
              </TableHead>
              {plans.map((plan) => (
                <TableCell key={plan.id} className="align-top text-center">
                  <PlanAction
                    plan={plan}
                    subscription={subscription}
                    pending={pending}
                    onChoose={onChoose}
                    direction={rank(plan.id) - rank(current)}
                  />
                </TableCell>
              ))}
            </TableRow>
          )}
        </TableBody>
      </Table>
    </div>
  );
}

function PlanAction({
  plan,
  subscription,
  pending,
  onChoose,
  direction,
}: {
  plan: Plan;
  subscription: Subscription;
  pending: string | null;
  onChoose: (plan: Plan) => void;
  direction: number;
}) {
  if (direction === 0 && plan.id === subscription.plan) {
    return <p className="text-sm text-muted-foreground">Your plan</p>;
  }
  const exceeded = direction < 0 ? exceededBy(plan, subscription) : [];
  const verb = direction > 0 ? 'Upgrade' : direction < 0 ? 'Downgrade' : 'Switch';
  return (
    <div className="grid justify-items-center gap-2">
      <Button
        variant={direction > 0 ? 'default' : 'outline'}
        size="sm"
        disabled={pending !== null || exceeded.length > 0}
        onClick={() => onChoose(plan)}
      >
        {pending === plan.id ? 'Working…' : `${verb} to ${plan.name}`}
      </Button>
      {exceeded.length > 0 && (
        <ul className="grid gap-1 text-left text-xs text-red-700" aria-label={`Why ${plan.name} is not available`}>
          {refusalReasons(exceeded).map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
