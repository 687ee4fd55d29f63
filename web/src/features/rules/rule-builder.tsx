import { Ban, Braces, Plus, Sigma, Trash2 } from 'lucide-react';
import { useId } from 'react';
import { COLUMN_FIELDS } from '../../../../worker/rules/language/fields';
import {
  AGGREGATE_FNS,
  AGGREGATE_OPS,
  COMPARISON_OPS,
  PREDICATE_OPS,
  type PredicateOp,
} from '../../../../worker/rules/language/schema';
import { Button } from '../../components/ui/button';
import { Input } from '../../components/ui/input';
import { Select } from '../../components/ui/select';
import { humanize } from '../../lib/format';
import { cn } from '../../lib/utils';
import {
  type AggregateNode,
  type ConditionNode,
  type GroupNode,
  isUnary,
  type JsonValue,
  listFromText,
  listToText,
  type NotNode,
  newAggregate,
  newGroup,
  newId,
  newPredicate,
  type PredicateNode,
  parseWindow,
  valueFromText,
  valueToText,
  WINDOW_UNITS,
} from './condition';

const OPERATOR_LABELS: Record<PredicateOp, string> = {
  eq: 'equals',
  ne: 'does not equal',
  gt: 'greater than',
  gte: 'at least',
  lt: 'less than',
  lte: 'at most',
  in: 'is one of',
  not_in: 'is none of',
  between: 'between (inclusive)',
  contains: 'contains',
  starts_with: 'starts with',
  ends_with: 'ends with',
  matches: 'matches regex',
  exists: 'is present',
  missing: 'is missing',
  screen: 'is on the watch list',
};
// `screen` takes a watch list and a threshold, written in the JSON pane (docs/screening.md): the
// builder shows such a predicate but does not offer the operator for new ones.
const BUILDER_OPERATORS = PREDICATE_OPS.filter((op) => op !== 'screen');
const UNIT_LABELS = { s: 'seconds', m: 'minutes', h: 'hours', d: 'days' } as const;
const ATTRIBUTE = '__attribute__';

type EditorProps<N extends ConditionNode> = {
  node: N;
  onChange: (node: ConditionNode) => void;
  onRemove?: (() => void) | undefined;
  errors: Map<string, string[]>;
  readOnly: boolean;
};

function NodeErrors({ messages }: { messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <ul role="alert" className="mt-2 grid gap-0.5 text-xs text-red-700">
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

function FieldPicker({
  value,
  onChange,
  label,
  disabled,
}: {
  value: string;
  onChange: (field: string) => void;
  label: string;
  disabled: boolean;
}) {
  const isAttribute = value.startsWith('attributes.');
  return (
    <div className="flex min-w-40 gap-1">
      <Select
        aria-label={label}
        value={isAttribute ? ATTRIBUTE : value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value === ATTRIBUTE ? 'attributes.' : event.target.value)}
        className="min-w-36"
      >
        {!isAttribute && !(COLUMN_FIELDS as readonly string[]).includes(value) && (
          <option value={value}>{value || 'choose…'}</option>
        )}
        {COLUMN_FIELDS.map((field) => (
          <option key={field} value={field}>
            {field}
          </option>
        ))}
        <option value={ATTRIBUTE}>attributes.…</option>
      </Select>
      {isAttribute && (
        <Input
          aria-label={`${label}: attribute key`}
          className="w-36"
          placeholder="key, e.g. department"
          value={value.slice('attributes.'.length)}
          disabled={disabled}
          onChange={(event) => onChange(`attributes.${event.target.value}`)}
        />
      )}
    </div>
  );
}

function ValueInput({
  field,
  op,
  value,
  onChange,
  disabled,
}: {
  field: string;
  op: PredicateOp;
  value: JsonValue | undefined;
  onChange: (value: JsonValue) => void;
  disabled: boolean;
}) {
  if (op === 'in' || op === 'not_in') {
    return (
      <Input
        aria-label="Values, comma-separated"
        placeholder="a, b, c"
        className="min-w-40 flex-1"
        value={listToText(value)}
        disabled={disabled}
        onChange={(event) => onChange(listFromText(field, event.target.value))}
      />
    );
  }
  if (op === 'between') {
    const [low, high] = Array.isArray(value) ? value : [undefined, undefined];
    return (
      <div className="flex items-center gap-1">
        <Input
          aria-label="Low bound"
          className="w-28"
          value={valueToText(low)}
          disabled={disabled}
          onChange={(event) => onChange([valueFromText(field, event.target.value), high ?? null])}
        />
        <span className="text-xs text-muted-foreground">and</span>
        <Input
          aria-label="High bound"
          className="w-28"
          value={valueToText(high)}
          disabled={disabled}
          onChange={(event) => onChange([low ?? null, valueFromText(field, event.target.value)])}
        />
      </div>
    );
  }
  return (
    <Input
      aria-label="Value"
      className="min-w-32 flex-1"
      value={valueToText(value)}
      disabled={disabled}
      onChange={(event) => onChange(valueFromText(field, event.target.value))}
    />
  );
}

function NodeFrame({
  children,
  messages,
  tone = 'plain',
  className,
}: {
  children: React.ReactNode;
  messages: string[] | undefined;
  tone?: 'plain' | 'group' | 'not' | 'aggregate';
  className?: string;
}) {
  return (
    <div
      className={cn(
        'rounded-md border p-3',
        tone === 'group' && 'border-slate-300 bg-slate-50',
        tone === 'not' && 'border-amber-300 bg-amber-50/50',
        tone === 'aggregate' && 'border-indigo-200 bg-indigo-50/40',
        tone === 'plain' && 'bg-white',
        messages?.length && 'border-red-400 ring-1 ring-red-300',
        className,
      )}
    >
      {children}
      <NodeErrors messages={messages} />
    </div>
  );
}

function RemoveButton({
  onRemove,
  label,
  disabled,
}: {
  onRemove?: (() => void) | undefined;
  label: string;
  disabled: boolean;
}) {
  if (!onRemove || disabled) return null;
  return (
    <Button variant="ghost" size="icon" aria-label={label} onClick={onRemove}>
      <Trash2 />
    </Button>
  );
}

function PredicateEditor({ node, onChange, onRemove, errors, readOnly }: EditorProps<PredicateNode>) {
  const set = (patch: Partial<PredicateNode>) => onChange({ ...node, ...patch });
  function changeOp(op: PredicateOp) {
    const next: PredicateNode = { ...node, op };
    if (isUnary(op)) {
      delete next.value;
      next.compare = 'value';
      delete next.otherField;
    } else if (op === 'between' && !Array.isArray(node.value)) next.value = [null, null];
    else if ((op === 'in' || op === 'not_in') && !Array.isArray(node.value))
      next.value = node.value === undefined ? [] : [node.value];
    else if (!['between', 'in', 'not_in'].includes(op) && Array.isArray(node.value)) next.value = node.value[0] ?? '';
    onChange(next);
  }
  // `other_field` compares only with the comparison operators (worker/rules/language/schema.ts).
  const canCompareFields = (COMPARISON_OPS as readonly string[]).includes(node.op);
  return (
    <NodeFrame messages={errors.get(node.id)}>
      <fieldset className="min-w-0 flex flex-wrap items-center gap-2" aria-label="Condition on a field">
        <FieldPicker label="Field" value={node.field} disabled={readOnly} onChange={(field) => set({ field })} />
        <Select
          aria-label="Operator"
          value={node.op}
          disabled={readOnly}
          onChange={(event) => changeOp(event.target.value as PredicateOp)}
          className="min-w-40"
        >
          {(node.op === 'screen' ? PREDICATE_OPS : BUILDER_OPERATORS).map((op) => (
            <option key={op} value={op}>
              {OPERATOR_LABELS[op]}
            </option>
          ))}
        </Select>
        {!isUnary(node.op) && canCompareFields && (
          <Select
            aria-label="Compare with"
            value={node.compare}
            disabled={readOnly}
            className="w-32"
            onChange={(event) => {
              const compare = event.target.value as 'value' | 'field';
              onChange(
                compare === 'field'
                  ? { ...node, compare, otherField: node.otherField ?? 'counterparty' }
                  : { ...node, compare, value: node.value ?? '' },
              );
            }}
          >
            <option value="value">a value</option>
            <option value="field">another field</option>
          </Select>
        )}
        {!isUnary(node.op) &&
          (node.compare === 'field' ? (
            <FieldPicker
              label="Other field"
              value={node.otherField ?? ''}
              disabled={readOnly}
              onChange={(otherField) => set({ otherField })}
            />
          ) : (
            <ValueInput
              field={node.field}
              op={node.op}
              value={node.value}
              disabled={readOnly}
              onChange={(value) => set({ value })}
            />
          ))}
        <div className="ml-auto">
          <RemoveButton onRemove={onRemove} label="Remove condition" disabled={readOnly} />
        </div>
      </fieldset>
    </NodeFrame>
  );
}

function WindowPicker({
  window,
  onChange,
  disabled,
}: {
  window: string;
  onChange: (window: string) => void;
  disabled: boolean;
}) {
  const parsed = parseWindow(window) ?? { amount: 0, unit: 'd' as const };
  return (
    <fieldset className="min-w-0 flex items-center gap-1" aria-label="Time window">
      <span className="text-sm text-muted-foreground">in the last</span>
      <Input
        aria-label="Window length"
        type="number"
        min={1}
        className="w-20"
        value={parsed.amount || ''}
        disabled={disabled}
        onChange={(event) => onChange(`${event.target.value}${parsed.unit}`)}
      />
      <Select
        aria-label="Window unit"
        value={parsed.unit}
        disabled={disabled}
        className="w-28"
        onChange={(event) => onChange(`${parsed.amount}${event.target.value}`)}
      >
        {WINDOW_UNITS.map((unit) => (
          <option key={unit} value={unit}>
            {UNIT_LABELS[unit]}
          </option>
        ))}
      </Select>
    </fieldset>
  );
}

function AggregateEditor({ node, onChange, onRemove, errors, readOnly }: EditorProps<AggregateNode>) {
  const set = (patch: Partial<AggregateNode>) => onChange({ ...node, ...patch });
  const groupId = useId();
  function changeFn(fn: AggregateNode['fn']) {
    const next: AggregateNode = { ...node, fn };
    if (fn === 'count') delete next.field;
    else next.field ??= 'amount';
    onChange(next);
  }
  function toggleGroupBy(field: string, on: boolean) {
    set({ groupBy: on ? [...node.groupBy, field] : node.groupBy.filter((other) => other !== field) });
  }
  return (
    <NodeFrame messages={errors.get(node.id)} tone="aggregate">
      <fieldset className="min-w-0 grid gap-3" aria-label="Aggregate over a time window">
        <div className="flex flex-wrap items-center gap-2">
          <Sigma aria-hidden className="size-4 text-indigo-600" />
          <Select
            aria-label="Aggregate function"
            value={node.fn}
            disabled={readOnly}
            className="w-40"
            onChange={(event) => changeFn(event.target.value as AggregateNode['fn'])}
          >
            {AGGREGATE_FNS.map((fn) => (
              <option key={fn} value={fn}>
                {humanize(fn)}
              </option>
            ))}
          </Select>
          {node.fn !== 'count' && (
            <>
              <span className="text-sm text-muted-foreground">of</span>
              <FieldPicker
                label="Aggregated field"
                value={node.field ?? ''}
                disabled={readOnly}
                onChange={(field) => set({ field })}
              />
            </>
          )}
          <WindowPicker window={node.window} disabled={readOnly} onChange={(window) => set({ window })} />
          <div className="ml-auto">
            <RemoveButton onRemove={onRemove} label="Remove aggregate" disabled={readOnly} />
          </div>
        </div>
        <fieldset className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <legend id={groupId} className="float-left mr-2 text-sm text-muted-foreground">
            per
          </legend>
          {COLUMN_FIELDS.filter(
            (field) => field !== 'occurred_at' && field !== 'amount' && field !== 'anomaly_score',
          ).map((field) => (
            <label key={field} className="flex items-center gap-1 text-sm">
              <input
                type="checkbox"
                className="size-4 accent-indigo-600"
                checked={node.groupBy.includes(field)}
                disabled={readOnly}
                onChange={(event) => toggleGroupBy(field, event.target.checked)}
              />
              {field}
            </label>
          ))}
          {node.groupBy
            .filter((field) => !(COLUMN_FIELDS as readonly string[]).includes(field))
            .map((field) => (
              <label key={field} className="flex items-center gap-1 text-sm">
                <input
                  type="checkbox"
                  className="size-4 accent-indigo-600"
                  checked
                  disabled={readOnly}
                  onChange={() => toggleGroupBy(field, false)}
                />
                {field}
              </label>
            ))}
        </fieldset>
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-sm text-muted-foreground">is</span>
          <Select
            aria-label="Aggregate comparison"
            value={node.op}
            disabled={readOnly}
            className="w-40"
            onChange={(event) => {
              const op = event.target.value as AggregateNode['op'];
              const value =
                op === 'between'
                  ? Array.isArray(node.value)
                    ? node.value
                    : [node.value, node.value]
                  : Array.isArray(node.value)
                    ? (node.value[0] ?? 0)
                    : node.value;
              onChange({ ...node, op, value });
            }}
          >
            {AGGREGATE_OPS.map((op) => (
              <option key={op} value={op}>
                {OPERATOR_LABELS[op]}
              </option>
            ))}
          </Select>
          <ValueInput
            field="amount"
            op={node.op}
            value={node.value}
            disabled={readOnly}
            onChange={(value) => set({ value })}
          />
        </div>
        {node.where ? (
          <div className="grid gap-1">
            <span className="text-sm text-muted-foreground">counting only transactions where</span>
            <ConditionEditor
              node={node.where}
              errors={errors}
              readOnly={readOnly}
              onChange={(where) => set({ where })}
              onRemove={() => {
                const next = { ...node };
                delete next.where;
                onChange(next);
              }}
            />
          </div>
        ) : (
          !readOnly && (
            <div>
              <Button variant="outline" size="sm" onClick={() => set({ where: newGroup('all') })}>
                <Plus /> Filter counted transactions
              </Button>
            </div>
          )
        )}
      </fieldset>
    </NodeFrame>
  );
}

function GroupEditor({ node, onChange, onRemove, errors, readOnly }: EditorProps<GroupNode>) {
  const replaceChild = (index: number, child: ConditionNode) =>
    onChange({ ...node, children: node.children.map((other, at) => (at === index ? child : other)) });
  const removeChild = (index: number) => onChange({ ...node, children: node.children.filter((_, at) => at !== index) });
  const add = (child: ConditionNode) => onChange({ ...node, children: [...node.children, child] });
  return (
    <NodeFrame messages={errors.get(node.id)} tone="group">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <Select
          aria-label="Group match"
          value={node.mode}
          disabled={readOnly}
          className="w-44"
          onChange={(event) => onChange({ ...node, mode: event.target.value as 'all' | 'any' })}
        >
          <option value="all">All of (AND)</option>
          <option value="any">Any of (OR)</option>
        </Select>
        {!readOnly && (
          <Button variant="ghost" size="sm" onClick={() => onChange({ kind: 'not', id: newId(), child: node })}>
            <Ban /> Negate
          </Button>
        )}
        <div className="ml-auto">
          <RemoveButton onRemove={onRemove} label="Remove group" disabled={readOnly} />
        </div>
      </div>
      <ul className="grid gap-2 border-l-2 border-slate-300 pl-3">
        {node.children.map((child, index) => (
          <li key={child.id}>
            <ConditionEditor
              node={child}
              errors={errors}
              readOnly={readOnly}
              onChange={(next) => replaceChild(index, next)}
              onRemove={() => removeChild(index)}
            />
          </li>
        ))}
      </ul>
      {!readOnly && (
        <div className="mt-2 flex flex-wrap gap-2">
          <Button variant="outline" size="sm" onClick={() => add(newPredicate())}>
            <Plus /> Condition
          </Button>
          <Button variant="outline" size="sm" onClick={() => add(newAggregate())}>
            <Sigma /> Aggregate
          </Button>
          <Button variant="outline" size="sm" onClick={() => add(newGroup(node.mode === 'all' ? 'any' : 'all'))}>
            <Braces /> Group
          </Button>
          <Button variant="outline" size="sm" onClick={() => add({ kind: 'not', id: newId(), child: newPredicate() })}>
            <Ban /> Not
          </Button>
        </div>
      )}
    </NodeFrame>
  );
}

function NotEditor({ node, onChange, onRemove, errors, readOnly }: EditorProps<NotNode>) {
  return (
    <NodeFrame messages={errors.get(node.id)} tone="not">
      <div className="mb-2 flex items-center gap-2">
        <span className="text-xs font-semibold uppercase tracking-wide text-amber-800">Not</span>
        {!readOnly && (
          <Button variant="ghost" size="sm" onClick={() => onChange(node.child)}>
            Remove negation
          </Button>
        )}
        <div className="ml-auto">
          <RemoveButton onRemove={onRemove} label="Remove negated condition" disabled={readOnly} />
        </div>
      </div>
      <ConditionEditor
        node={node.child}
        errors={errors}
        readOnly={readOnly}
        onChange={(child) => onChange({ ...node, child })}
      />
    </NodeFrame>
  );
}

export function ConditionEditor(props: EditorProps<ConditionNode>) {
  const { node } = props;
  switch (node.kind) {
    case 'group':
      return <GroupEditor {...props} node={node} />;
    case 'not':
      return <NotEditor {...props} node={node} />;
    case 'predicate':
      return <PredicateEditor {...props} node={node} />;
    case 'aggregate':
      return <AggregateEditor {...props} node={node} />;
  }
}
