import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { LoginPage } from '@/features/auth';
import { ApiError } from '@/lib/api';
import { LiveProvider } from '@/lib/live';
import { RequireRole } from '@/lib/roles';
import { SessionProvider, useSession } from '@/lib/session';
import { AlertsRoute } from './AlertsRoute';
import { ConfigPage } from './ConfigPage';
import { DashboardPage } from './DashboardPage';
import { Shell } from './Shell';

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}

function Routed() {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const name = user?.username;
  useEffect(() => {
    // Another user must not see what the previous one loaded.
    if (!name) queryClient.clear();
  }, [name, queryClient]);
  if (!user) return <LoginPage />;
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/alerts" element={<AlertsRoute />} />
        <Route
          path="/config"
          element={
            <RequireRole role="engineer" fallback={<Navigate to="/" replace />}>
              <ConfigPage />
            </RequireRole>
          }
        />
        <Route path="/login" element={<Navigate to="/" replace />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Shell>
  );
}

export function App({ queryClient = makeQueryClient() }: { queryClient?: QueryClient }) {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <LiveProvider>
          <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Routed />
          </BrowserRouter>
        </LiveProvider>
      </SessionProvider>
    </QueryClientProvider>
  );
}
