/* replay: run a fuzz target's LLVMFuzzerTestOneInput over files, without
 * libFuzzer, so the corpus and the regressions are tested by `make check`
 * (and under the sanitizers by `make check SANITIZE=1`) with any compiler.
 *
 * usage: fuzz_X FILE|DIR...   (a directory: each regular file in it)
 * Exit 0 when every input ran; 1 when one could not be read. A bug in the
 * code under test shows as the sanitizer's report or an abort(). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t k;
		if (n == cap) {
			uint8_t *q = realloc(p, cap = cap ? cap * 2 : 4096);
			if (!q) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
		k = fread(p + n, 1, cap - n, f);
		if (!k)
			break;
		n += k;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* an exact-size copy, so that a read past the end is caught */
	{
		uint8_t *q = malloc(n ? n : 1);
		if (!q) {
			free(p);
			return -1;
		}
		if (n)
			memcpy(q, p, n);
		free(p);
		LLVMFuzzerTestOneInput(q, n);
		free(q);
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char **q;
		if (de->d_name[0] == '.')
			continue;
		q = realloc(names, (n + 1) * sizeof *names);
		if (!q || !(q[n] = malloc(strlen(dir) + strlen(de->d_name) + 2))) {
			free(q ? q : names);
			closedir(d);
			return -1;
		}
		names = q;
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);	/* the same order every run */
	for (i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i]) < 0)
				rc = -1;
			else
				(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int i, rc = 0, count = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) < 0)
				rc = 1;
		} else if (run_file(argv[i]) < 0) {
			rc = 1;
		} else {
			count++;
		}
	}
	printf("replay: %d inputs\n", count);
	return rc;
}
