export type { CalendarDate } from './zoned-date.ts';
export { anyZoneRange, compactDate, LOCAL_TIMEZONE, zonedDate } from './zoned-date.ts';
