import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app.tsx';
import { AuthProvider } from './auth/auth-context.tsx';
import { createUserManager } from './auth/user-manager.ts';
import { loadRuntimeConfig } from './config/runtime-config.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadRuntimeConfig().then(
  (config) => {
    const manager = createUserManager(config);
    root.render(
      <StrictMode>
        <BrowserRouter>
          <AuthProvider manager={manager} issuer={config.issuer}>
            <App />
          </AuthProvider>
        </BrowserRouter>
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <main id="main" className="centered">
        <div className="card" role="alert">
          <h1>Usher admin could not start</h1>
          <p>{error instanceof Error ? error.message : String(error)}</p>
        </div>
      </main>,
    );
  },
);
