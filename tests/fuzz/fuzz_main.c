/*
 * Replays fuzz inputs without libFuzzer: every file named on the command
 * line, or every file in a directory named there, goes through
 * LLVMFuzzerTestOneInput() once (as librdkafka's tests/fuzzers do).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL;
    long len;

    if (!fp) {
        perror(path);
        return -1;
    }
    if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
        fclose(fp);
        return -1;
    }
    /* One spare byte: malloc(0) may return NULL. */
    if (!(buf = malloc((size_t)len + 1)) || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int n = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        struct stat sb;
        DIR *dir;
        struct dirent *de;

        if (stat(argv[i], &sb)) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            failed += replay_file(argv[i]) != 0;
            n++;
            continue;
        }
        if (!(dir = opendir(argv[i]))) {
            perror(argv[i]);
            return 1;
        }
        while ((de = readdir(dir))) {
            char path[4096];
            int len;

            if (de->d_name[0] == '.')
                continue;
            len = snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
            if (len < 0 || (size_t)len >= sizeof(path))
                continue;
            failed += replay_file(path) != 0;
            n++;
        }
        closedir(dir);
    }
    printf("%d passed, %d failed\n", n - failed, failed);
    return failed || n == 0;
}
