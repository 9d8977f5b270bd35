/* cside.c: each hex-encoded input through email_normalize(); prints OK<TAB>hex(normalised) or ERR<TAB>hex(reason). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int email_normalize(const char *in, size_t len, char *out, size_t outsz, char *reason, size_t reasonsz);
static void hex(const char *s){ for (const unsigned char *p=(const unsigned char*)s; *p; p++) printf("%02x", *p); }
int main(void){ char line[20000], in[10000], out[2048], why[4096];
 while (fgets(line, sizeof line, stdin)) { size_t n = strlen(line)/2, i; for (i=0;i<n;i++){ unsigned v; sscanf(line+2*i, "%2x", &v); in[i]=(char)v; }
  if (email_normalize(in, n, out, sizeof out, why, sizeof why) == 0) { printf("OK\t"); hex(out); } else { printf("ERR\t"); hex(why); } printf("\n"); }
 return 0; }
