import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder of index.html
render(<App />, root);
