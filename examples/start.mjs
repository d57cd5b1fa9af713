// The default example: more arrives as the library grows.
import { Status, statusName } from 'avstream';

console.log(`avstream: ${statusName(Status.success)}`);
