import { render } from 'preact';
import { App } from './app.tsx';
import { reloadOnNewLink, takeLink } from './link.ts';
import { Session } from './session.ts';
import './styles.css';

// The tab's one session: every page gets it from the app.
const session = new Session(takeLink());
reloadOnNewLink();
const root = document.getElementById('app');
if (root !== null) render(<App session={session} />, root);
