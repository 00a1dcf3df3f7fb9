import { fail } from '../model/gatehouse-error.js';

/** A validity in whole days between 1 and `max`. */
export function validateDays(days: number, max: number): number {
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw fail('GH_DAYS_INVALID', `The validity must be a whole number of days from 1 to ${max}; got ${days}.`);
  }
  return days;
}
