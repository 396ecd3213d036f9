import { createContext, useContext, type ReactNode } from 'react';
import type { AdminClient } from './admin-client.ts';

const ApiContext = createContext<AdminClient | null>(null);

/** Gives pages the admin API client (tests give one over a stand-in fetch). */
export function ApiProvider(props: { client: AdminClient; children: ReactNode }) {
  return <ApiContext.Provider value={props.client}>{props.children}</ApiContext.Provider>;
}

export function useApi(): AdminClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi outside ApiProvider');
  return client;
}
