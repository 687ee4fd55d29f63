import { AlertTriangle, CheckCircle2, Info, X, XCircle } from 'lucide-react';
import { Toast as ToastPrimitive } from 'radix-ui';
import { useSyncExternalStore } from 'react';
import { cn } from '../../lib/utils';

type ToastKind = 'success' | 'error' | 'info' | 'warning';
type ToastItem = { id: number; kind: ToastKind; title: string; description?: string };

let items: ToastItem[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function publish(next: ToastItem[]) {
  items = next;
  for (const listener of listeners) listener();
}

function show(kind: ToastKind, title: string, options: { description?: string } = {}) {
  publish([...items.slice(-4), { id: nextId++, kind, title, ...options }]);
}

/** Sonner-style API: `toast.success('Saved')`, `toast.error('Failed', { description })`. */
export const toast = {
  success: (title: string, options?: { description?: string }) => show('success', title, options),
  error: (title: string, options?: { description?: string }) => show('error', title, options),
  info: (title: string, options?: { description?: string }) => show('info', title, options),
  warning: (title: string, options?: { description?: string }) => show('warning', title, options),
};

const ICONS = { success: CheckCircle2, error: XCircle, info: Info, warning: AlertTriangle } as const;
const TONES = {
  success: 'text-emerald-600',
  error: 'text-red-600',
  info: 'text-indigo-600',
  warning: 'text-amber-600',
} as const;

export function Toaster() {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => items,
  );
  return (
    <ToastPrimitive.Provider swipeDirection="right" duration={6000}>
      {current.map((item) => {
        const Icon = ICONS[item.kind];
        return (
          <ToastPrimitive.Root
            key={item.id}
            type={item.kind === 'error' || item.kind === 'warning' ? 'foreground' : 'background'}
            onOpenChange={(open) => {
              if (!open) publish(items.filter((other) => other.id !== item.id));
            }}
            className="flex w-full items-start gap-3 rounded-lg border bg-white p-4 shadow-lg data-[state=closed]:opacity-0"
            data-kind={item.kind}
          >
            <Icon aria-hidden className={cn('mt-0.5 size-5 shrink-0', TONES[item.kind])} />
            <div className="grid flex-1 gap-1">
              <ToastPrimitive.Title className="text-sm font-semibold">{item.title}</ToastPrimitive.Title>
              {item.description && (
                <ToastPrimitive.Description className="text-sm text-muted-foreground">
                  {item.description}
                </ToastPrimitive.Description>
              )}
            </div>
            <ToastPrimitive.Close aria-label="Dismiss" className="rounded-sm text-slate-500 hover:text-slate-900">
              <X className="size-4" />
            </ToastPrimitive.Close>
          </ToastPrimitive.Root>
        );
      })}
      <ToastPrimitive.Viewport className="fixed bottom-0 right-0 z-[100] flex max-h-screen w-full max-w-sm flex-col gap-2 p-4 outline-none" />
    </ToastPrimitive.Provider>
  );
}
