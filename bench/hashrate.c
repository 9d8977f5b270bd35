/*
 * hashrate.c: the raw yescrypt rate of one core, the reference for POST /auth/login and POST /admin/users/.
 *
 *   hashrate COST N          hashes N times with crypt_rn at yescrypt cost COST (one thread, a fresh salt each
 *                            time, as gatehouse does) and prints "<hashes per second> <ms per hash>"
 *   hashrate -H COST         reads a password from the first line of stdin and prints one "$y$" hash of it
 *
 * Built by bench/run: cc -O2 -o hashrate hashrate.c -lcrypt
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
hash_once(const char *pw, unsigned long cost, struct crypt_data *cd)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	/* NULL random bytes: libxcrypt draws the salt itself (getrandom). */
	if (crypt_gensalt_rn("$y$", cost, NULL, 0, setting, (int)sizeof(setting)) == NULL)
		return -1;
	memset(cd, 0, sizeof(*cd));
	if (crypt_rn(pw, setting, cd, (int)sizeof(*cd)) == NULL || cd->output[0] == '*')
		return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct crypt_data cd;
	char		 pw[1024];
	unsigned long	 cost;
	long		 n, i;
	double		 t0, t;

	if (argc == 3 && strcmp(argv[1], "-H") == 0) {
		cost = strtoul(argv[2], NULL, 10);
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			return 1;
		pw[strcspn(pw, "\r\n")] = '\0';
		if (hash_once(pw, cost, &cd) == -1) {
			fprintf(stderr, "hashrate: cannot hash at cost %lu\n", cost);
			return 1;
		}
		printf("%s\n", cd.output);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: hashrate COST N | hashrate -H COST <password\n");
		return 2;
	}
	cost = strtoul(argv[1], NULL, 10);
	n = strtol(argv[2], NULL, 10);
	if (n < 1)
		return 2;
	if (hash_once("warm-up password", cost, &cd) == -1) {	/* first touch of the memory region */
		fprintf(stderr, "hashrate: cannot hash at cost %lu\n", cost);
		return 1;
	}
	t0 = now();
	for (i = 0; i < n; i++)
		if (hash_once("bench-password-1", cost, &cd) == -1)
			return 1;
	t = now() - t0;
	printf("%.2f %.3f\n", n / t, t * 1000 / n);
	return 0;
}
