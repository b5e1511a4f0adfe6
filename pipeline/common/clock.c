/*
 * Monotonic time for timeouts, rates and durations; wall-clock time only to
 * compare with timestamps from elsewhere (Kafka's).
 */
#include <time.h>

#include "dateline/common.h"

uint64_t dl_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t dl_now_ms(void)
{
    return (int64_t)(dl_now_us() / 1000u);
}

int64_t dl_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
