import { useQueryClient } from '@tanstack/react-query';
import {
  Activity,
  BellRing,
  BookOpenCheck,
  Clock,
  Cog,
  CreditCard,
  DatabaseZap,
  FileDown,
  FileText,
  Gauge,
  Inbox,
  LogOut,
  Menu,
  Plug,
  Radar,
  ScanSearch,
  ScrollText,
  ShieldAlert,
  UserSearch,
  Users,
  X,
} from 'lucide-react';
import { type ComponentType, useCallback, useEffect, useRef, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import type { Permission } from '../../../worker/platform/permissions';
import { Button } from '../components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '../components/ui/dropdown-menu';
import { toast } from '../components/ui/toaster';
import { TimeZoneDialog } from '../features/account/time-zone-dialog';
import { ServiceBanner } from '../features/operations/service-banner';
import { BillingBanner } from '../features/subscription/billing-banner';
import { signOut, useCan, useMe } from '../lib/auth';
import { humanize } from '../lib/format';
import { type LiveEvent, useLiveConnection, useLiveEvents, useLiveStatus } from '../lib/live';
import { cn } from '../lib/utils';

type NavItem = { to: string; label: string; icon: ComponentType<{ className?: string }>; permission: Permission };

const NAV: { section: string; items: NavItem[] }[] = [
  {
    section: 'Monitor',
    items: [
      { to: '/', label: 'Overview', icon: Gauge, permission: 'data:read' },
      { to: '/cases', label: 'Cases', icon: Inbox, permission: 'data:read' },
      { to: '/violations', label: 'Violations', icon: ShieldAlert, permission: 'data:read' },
      { to: '/risk', label: 'Risk', icon: Radar, permission: 'data:read' },
      { to: '/scans', label: 'Scans', icon: ScanSearch, permission: 'data:read' },
      { to: '/transactions', label: 'Transactions', icon: Activity, permission: 'data:read' },
      { to: '/reports', label: 'Reports', icon: FileDown, permission: 'data:read' },
    ],
  },
  {
    section: 'Govern',
    items: [
      { to: '/policies', label: 'Policies', icon: FileText, permission: 'data:read' },
      { to: '/rules', label: 'Rules', icon: BookOpenCheck, permission: 'data:read' },
      { to: '/screening', label: 'Screening', icon: UserSearch, permission: 'data:read' },
      { to: '/sources', label: 'Sources', icon: Plug, permission: 'sources:manage' },
      { to: '/connectors', label: 'Connectors', icon: DatabaseZap, permission: 'connectors:manage' },
      { to: '/alerts', label: 'Alerts', icon: BellRing, permission: 'alerts:manage' },
    ],
  },
  {
    section: 'Administer',
    items: [
      { to: '/users', label: 'Users and roles', icon: Users, permission: 'users:manage' },
      { to: '/audit', label: 'Audit log', icon: ScrollText, permission: 'audit:read' },
      { to: '/operations', label: 'Operations', icon: Cog, permission: 'jobs:read' },
      { to: '/subscription', label: 'Subscription', icon: CreditCard, permission: 'subscription:manage' },
    ],
  },
];

const ALERTING = new Set(['high', 'critical']);
// A scan can find hundreds of violations in a second: they are announced together after this pause.
const TOAST_BATCH_MS = 1500;

type LiveViolation = Extract<LiveEvent, { type: 'violation.created' }>['violation'];

/** One toast per burst of high or critical violations: the violation itself, or how many arrived. */
function useViolationToasts(): (violation: LiveViolation) => void {
  const pending = useRef<LiveViolation[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback((violation) => {
    pending.current.push(violation);
    timer.current ??= setTimeout(() => {
      const burst = pending.current;
      pending.current = [];
      timer.current = undefined;
      const [first] = burst;
      if (burst.length === 1 && first)
        toast.warning(`New ${first.severity} violation`, { description: first.explanation });
      else
        toast.warning(`${burst.length} new high or critical violations`, {
          description: 'They are waiting in the review queue.',
        });
    }, TOAST_BATCH_MS);
  }, []);
}

/** Live events refresh what they change, and new high or critical violations raise a toast. */
function useLiveUpdates() {
  const queryClient = useQueryClient();
  const announce = useViolationToasts();
  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.type === 'violation.created') {
        void queryClient.invalidateQueries({ queryKey: ['violations'] });
        void queryClient.invalidateQueries({ queryKey: ['overview'] });
        // New transactions change what each draft rule would have flagged.
        void queryClient.invalidateQueries({ queryKey: ['policies', 'rules'] });
        if (ALERTING.has(event.violation.severity)) announce(event.violation);
      } else if (event.type === 'scan.completed') {
        void queryClient.invalidateQueries({ queryKey: ['scans'] });
        void queryClient.invalidateQueries({ queryKey: ['jobs'] });
        void queryClient.invalidateQueries({ queryKey: ['violations'] });
        void queryClient.invalidateQueries({ queryKey: ['overview'] });
      } else if (event.type === 'case.created' || event.type === 'case.updated') {
        void queryClient.invalidateQueries({ queryKey: ['cases'] });
      } else if (event.type === 'alert') {
        toast.warning(event.title, { description: event.detail });
      }
    },
    [queryClient, announce],
  );
  useLiveEvents(onEvent);
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const can = useCan();
  return (
    <nav aria-label="Main" className="flex flex-col gap-6 px-3 py-4">
      {NAV.map(({ section, items }) => {
        const visible = items.filter((item) => can(item.permission));
        if (visible.length === 0) return null;
        return (
          <div key={section}>
            <p className="px-3 pb-1 text-xs font-semibold uppercase tracking-wider text-slate-400">{section}</p>
            <ul className="grid gap-0.5">
              {visible.map(({ to, label, icon: Icon }) => (
                <li key={to}>
                  <NavLink
                    to={to}
                    end={to === '/'}
                    onClick={onNavigate}
                    className={({ isActive }) =>
                      cn(
                        'flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-slate-300 hover:bg-slate-800 hover:text-white focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400',
                        isActive && 'bg-slate-800 text-white',
                      )
                    }
                  >
                    <Icon className="size-4" aria-hidden />
                    {label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
    </nav>
  );
}

function LiveIndicator() {
  const status = useLiveStatus();
  const label = status === 'open' ? 'Live' : status === 'connecting' ? 'Connecting' : 'Offline';
  return (
    <span
      className="flex items-center gap-2 text-xs text-muted-foreground"
      role="status"
      aria-label={`Live updates: ${label}`}
    >
      <span
        aria-hidden
        className={cn(
          'size-2 rounded-full',
          status === 'open' ? 'bg-emerald-500' : status === 'connecting' ? 'bg-amber-400' : 'bg-slate-400',
        )}
      />
      {label}
    </span>
  );
}

export function AppLayout() {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [timeZoneOpen, setTimeZoneOpen] = useState(false);
  useLiveConnection(me !== null);
  useLiveUpdates();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the menu closes whenever the route changes
  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (!me) return <Navigate to="/signin" replace />;

  const brand = (
    <div className="flex items-center gap-2 px-6 py-5 text-white">
      <img src="/favicon.svg" alt="" className="size-7" />
      <span className="text-lg font-semibold tracking-tight">NitiLens</span>
    </div>
  );

  return (
    <div className="min-h-screen lg:grid lg:grid-cols-[15rem_1fr]">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <aside className="hidden bg-slate-900 lg:block">
        <div className="sticky top-0">
          {brand}
          <Sidebar />
        </div>
      </aside>
      {menuOpen && (
        <div className="fixed inset-0 z-40 lg:hidden" role="dialog" aria-modal="true" aria-label="Navigation">
          <div className="absolute inset-0 bg-slate-900/50" onClick={() => setMenuOpen(false)} aria-hidden />
          <aside className="relative h-full w-64 overflow-y-auto bg-slate-900">
            <div className="flex items-center justify-between pr-3">
              {brand}
              <Button
                variant="ghost"
                size="icon"
                className="text-white hover:bg-slate-800"
                onClick={() => setMenuOpen(false)}
                aria-label="Close navigation"
              >
                <X />
              </Button>
            </div>
            <Sidebar onNavigate={() => setMenuOpen(false)} />
          </aside>
        </div>
      )}
      <div className="flex min-w-0 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center gap-3 border-b bg-white/95 px-4 backdrop-blur md:px-6">
          <Button
            variant="ghost"
            size="icon"
            className="lg:hidden"
            onClick={() => setMenuOpen(true)}
            aria-label="Open navigation"
          >
            <Menu />
          </Button>
          <span className="truncate text-sm font-medium text-slate-700">{me.organization.name}</span>
          <div className="ml-auto flex items-center gap-4">
            <LiveIndicator />
            <DropdownMenu>
              <DropdownMenuTrigger asChild>
                <Button variant="outline" size="sm" aria-label={`Account menu for ${me.user.full_name}`}>
                  <span
                    className="flex size-6 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700"
                    aria-hidden
                  >
                    {me.user.full_name.slice(0, 1).toUpperCase()}
                  </span>
                  <span className="hidden sm:inline">{me.user.full_name}</span>
                </Button>
              </DropdownMenuTrigger>
              <DropdownMenuContent align="end">
                <DropdownMenuLabel>
                  <div className="font-medium">{me.user.full_name}</div>
                  <div className="text-xs text-muted-foreground">{me.user.email}</div>
                  <div className="text-xs text-muted-foreground">{humanize(me.user.role)}</div>
                </DropdownMenuLabel>
                <DropdownMenuSeparator />
                <DropdownMenuItem onSelect={() => setTimeZoneOpen(true)}>
                  <Clock /> Time zone
                </DropdownMenuItem>
                <DropdownMenuItem
                  onSelect={() => {
                    void signOut().then(() => navigate('/signin'));
                  }}
                >
                  <LogOut /> Sign out
                </DropdownMenuItem>
              </DropdownMenuContent>
            </DropdownMenu>
            <TimeZoneDialog open={timeZoneOpen} onOpenChange={setTimeZoneOpen} />
          </div>
        </header>
        <ServiceBanner />
        <BillingBanner />
        <main id="main" className="mx-auto w-full max-w-7xl flex-1 px-4 py-6 md:px-8">
          {/* A new time zone remounts the page, so every time on it is shown in that zone. */}
          <Outlet key={me.user.time_zone ?? 'browser'} />
        </main>
      </div>
    </div>
  );
}
