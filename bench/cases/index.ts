// Every bench-case file, imported for its registrations. Add yours here (graph.ts, negotiate.ts, …).
import './alloc.js';
import './graph.js';
import './negotiate.js';
import './endpoints.js';
import './splitter.js';
