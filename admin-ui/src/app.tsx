import type { ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { ApiProvider } from './api/api-context.tsx';
import { useAuth } from './auth/auth-context.tsx';
import { Layout } from './components/layout.tsx';
import { Loading } from './components/status.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { CallbackPage } from './pages/callback-page.tsx';
import { ClientsPage } from './pages/clients-page.tsx';
import { KeysPage } from './pages/keys-page.tsx';
import { NoAccessPage } from './pages/no-access-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { PermissionsPage } from './pages/permissions-page.tsx';
import { RoleDetailPage } from './pages/role-detail-page.tsx';
import { RolesPage } from './pages/roles-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { UserDetailPage } from './pages/user-detail-page.tsx';
import { UsersPage } from './pages/users-page.tsx';

/** Admin pages need a session whose token carries admin rights; anyone else gets a clear page. */
function AdminOnly(props: { children: ReactNode }) {
  const { state, signOut, client } = useAuth();
  if (state.status === 'loading') return <Loading label="Checking your session…" />;
  if (state.status === 'signed-out') return <SignInPage notice={state.notice} />;
  const signOutNow = () => void signOut();
  if (!state.admin) return <NoAccessPage who={state.email} onSignOut={signOutNow} />;
  return (
    <ApiProvider client={client}>
      <Layout who={state.email} onSignOut={signOutNow}>
        {props.children}
      </Layout>
    </ApiProvider>
  );
}

export function App() {
  const { state } = useAuth();
  const admin = (page: ReactNode) => <AdminOnly>{page}</AdminOnly>;
  return (
    <Routes>
      <Route path="/callback" element={<CallbackPage />} />
      <Route path="/" element={state.status === 'signed-in' ? <Navigate to="/users" replace /> : admin(null)} />
      <Route path="/users" element={admin(<UsersPage />)} />
      <Route path="/users/:id" element={admin(<UserDetailPage />)} />
      <Route path="/roles" element={admin(<RolesPage />)} />
      <Route path="/roles/:name" element={admin(<RoleDetailPage />)} />
      <Route path="/permissions" element={admin(<PermissionsPage />)} />
      <Route path="/clients" element={admin(<ClientsPage />)} />
      <Route path="/keys" element={admin(<KeysPage />)} />
      <Route path="/audit" element={admin(<AuditPage />)} />
      <Route path="*" element={admin(<NotFoundPage />)} />
    </Routes>
  );
}
