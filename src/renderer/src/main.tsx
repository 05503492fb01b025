import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from '#shared/api.ts';
import { ApiProvider } from './api/api-context.tsx';
import { createHttpTransport } from './api/http-transport.ts';
import { App } from './App.tsx';
import { initTheme } from './theme.ts';
import './styles.css';

// Electron's preload provides window.api over IPC; in a browser we build the same api over HTTP.
const api = window.api ?? createApi(createHttpTransport());

// The serve host moved ?token= into a cookie on this page load; keep it out of history.
if (new URLSearchParams(window.location.search).has('token')) {
  window.history.replaceState(null, '', window.location.pathname + window.location.hash);
}

initTheme();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <ApiProvider api={api}>
      <App transport={window.api ? 'ipc' : 'http'} />
    </ApiProvider>
  </StrictMode>,
);
