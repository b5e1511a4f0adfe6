/* Internal to pipeline/extract: proleptic Gregorian date arithmetic. */
#ifndef DL_CALENDAR_H
#define DL_CALENDAR_H

/** Days since 1970-01-01 of y-m-d (Howard Hinnant's days_from_civil). */
long dl_days_from_civil(int y, int m, int d);

/** Inverse of dl_days_from_civil(). */
void dl_civil_from_days(long z, int *y, int *m, int *d);

/** ISO weekday, 1 = Monday .. 7 = Sunday. */
int dl_weekday(int y, int m, int d);

/** ISO 8601 week-numbering year and week of y-m-d. */
void dl_iso_week(int y, int m, int d, int *iso_year, int *week);

#endif
