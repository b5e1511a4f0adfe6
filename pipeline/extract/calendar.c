#include "calendar.h"

long dl_days_from_civil(int y, int m, int d)
{
    long yy = y - (m <= 2);
    long era = (yy >= 0 ? yy : yy - 399) / 400;
    long yoe = yy - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

void dl_civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int dl_weekday(int y, int m, int d)
{
    long z = dl_days_from_civil(y, m, d);
    /* 1970-01-01 was a Thursday (4). */
    long w = ((z % 7) + 7 + 3) % 7;

    return (int)w + 1;
}

void dl_iso_week(int y, int m, int d, int *iso_year, int *week)
{
    long z = dl_days_from_civil(y, m, d);
    /* The Thursday of this week decides the year. */
    long thursday = z - (dl_weekday(y, m, d) - 1) + 3;
    int ty, tm, td;

    dl_civil_from_days(thursday, &ty, &tm, &td);
    *iso_year = ty;
    *week = (int)((thursday - dl_days_from_civil(ty, 1, 1)) / 7 + 1);
}
