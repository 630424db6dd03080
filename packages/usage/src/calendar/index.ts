export type { CalendarDate } from './zoned-date.ts';
export { compactDate, LOCAL_TIMEZONE, zonedDate } from './zoned-date.ts';
