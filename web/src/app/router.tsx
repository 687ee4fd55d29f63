import { createBrowserRouter, redirect } from 'react-router';
import { restoreSession } from '../lib/auth';
import { sessionStore } from '../lib/session';
import { AlertsPage } from '../pages/alerts';
import { AuditPage } from '../pages/audit';
import { CaseDetailPage } from '../pages/case-detail';
import { CaseSettingsPage } from '../pages/case-settings';
import { CasesPage } from '../pages/cases';
import { ConnectorsPage } from '../pages/connectors';
import { NotFoundPage } from '../pages/not-found';
import { OperationsPage } from '../pages/operations';
import { OverviewPage } from '../pages/overview';
import { PoliciesPage } from '../pages/policies';
import { PolicyDetailPage } from '../pages/policy-detail';
import { ReportsPage } from '../pages/reports';
import { RiskPage } from '../pages/risk';
import { RuleEditorPage } from '../pages/rule-editor';
import { RulesPage } from '../pages/rules';
import { ScansPage } from '../pages/scans';
import { ScreeningPage } from '../pages/screening';
import { SignInPage } from '../pages/sign-in';
import { SignUpPage } from '../pages/sign-up';
import { SourcesPage } from '../pages/sources';
import { SubscriptionPage } from '../pages/subscription';
import { TransactionDetailPage } from '../pages/transaction-detail';
import { TransactionsPage } from '../pages/transactions';
import { UsersPage } from '../pages/users';
import { ViolationDetailPage } from '../pages/violation-detail';
import { ViolationsPage } from '../pages/violations';
import { AppLayout } from './layout';

async function requireSession({ request }: { request: Request }) {
  await restoreSession();
  if (sessionStore.me()) return null;
  const from = new URL(request.url).pathname;
  return redirect(from === '/' ? '/signin' : `/signin?from=${encodeURIComponent(from)}`);
}

async function redirectSignedIn() {
  await restoreSession();
  return sessionStore.me() ? redirect('/') : null;
}

/** What shows while the first loader restores the session (without it, react-router warns on every load). */
function Restoring() {
  return (
    <p role="status" className="grid min-h-screen place-items-center text-sm text-muted-foreground">
      Loading NitiLens…
    </p>
  );
}

export const router = createBrowserRouter([
  { path: '/signin', loader: redirectSignedIn, Component: SignInPage, HydrateFallback: Restoring },
  { path: '/signup', loader: redirectSignedIn, Component: SignUpPage, HydrateFallback: Restoring },
  {
    path: '/',
    loader: requireSession,
    Component: AppLayout,
    HydrateFallback: Restoring,
    children: [
      { index: true, Component: OverviewPage },
      { path: 'policies', Component: PoliciesPage },
      { path: 'policies/:id', Component: PolicyDetailPage },
      { path: 'rules', Component: RulesPage },
      { path: 'rules/new', Component: RuleEditorPage },
      { path: 'rules/:id', Component: RuleEditorPage },
      { path: 'risk', Component: RiskPage },
      { path: 'transactions', Component: TransactionsPage },
      { path: 'transactions/:id', Component: TransactionDetailPage },
      { path: 'sources', Component: SourcesPage },
      { path: 'connectors', Component: ConnectorsPage },
      { path: 'reports', Component: ReportsPage },
      { path: 'alerts', Component: AlertsPage },
      { path: 'screening', Component: ScreeningPage },
      { path: 'scans', Component: ScansPage },
      { path: 'cases', Component: CasesPage },
      { path: 'cases/settings', Component: CaseSettingsPage },
      { path: 'cases/:id', Component: CaseDetailPage },
      { path: 'violations', Component: ViolationsPage },
      { path: 'violations/:id', Component: ViolationDetailPage },
      { path: 'users', Component: UsersPage },
      { path: 'audit', Component: AuditPage },
      { path: 'operations', Component: OperationsPage },
      { path: 'subscription', Component: SubscriptionPage },
      { path: '*', Component: NotFoundPage },
    ],
  },
]);
