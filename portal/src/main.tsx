import { render } from 'preact';
import { App } from './app.tsx';
import { takeSession } from './session.ts';
import './styles.css';

const session = takeSession();
const root = document.getElementById('app');
if (root !== null) render(<App session={session} />, root);
