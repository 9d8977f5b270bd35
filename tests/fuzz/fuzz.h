/*
 * fuzz.h: what the libFuzzer harnesses share (fuzz.c): a real SQLite database in a temporary folder with known
 * users and bearer tokens, restored after every input that wrote to it, and oracles on rendered output.
 */
#ifndef GATEHOUSE_FUZZ_H
#define GATEHOUSE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/gatehouse.h"

/* Fixed ids and tokens, so that seed inputs can name them. */
#define FUZZ_ADMIN_ID		"01900000-0000-7000-8000-00000000a001"
#define FUZZ_VIEWER_ID		"01900000-0000-7000-8000-00000000b002"
#define FUZZ_PENDING_ID		"01900000-0000-7000-8000-00000000c003"
#define FUZZ_ADMIN_TOKEN	"gat_fuzzADMINfuzzADMINfuzzADMINfuzzADMINfuzzADM"
#define FUZZ_VIEWER_TOKEN	"gat_fuzzVIEWERfuzzVIEWERfuzzVIEWERfuzzVIEWERfuz"
#define FUZZ_EXPIRED_TOKEN	"gat_fuzzEXPIREDfuzzEXPIREDfuzzEXPIREDfuzzEXPIRE"
#define FUZZ_ADMIN_PASSWORD	"Adm1n-correct-horse"

extern struct arena	 fuzz_arena;

void	 fuzz_init(int with_db);		/* config, log to /dev/null, arena; optionally the database */

/* Each harness's libFuzzer start-up: fuzz_init, with or without the database. */
#define FUZZ_INITIALIZE(with_db)						\
int LLVMFuzzerInitialize(int *argc, char ***argv);			\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	fuzz_init(with_db);						\
	return 0;							\
}
void	 fuzz_abort(void);			/* an oracle failed: removes the temporary folder, aborts */
void	 fuzz_db_restore(void);			/* back to the start-up state if the last input wrote */
void	 fuzz_req_init(struct req *);		/* a zeroed request on fuzz_arena */
void	 fuzz_req_done(struct req *);		/* frees the parsed body and resets the arena */
char	*fuzz_strndup(const uint8_t *, size_t);	/* exact-size heap copy, NUL-terminated (ASan sees overreads) */
/* Aborts unless b holds valid UTF-8 that json-c parses completely, as one value. */
void	 fuzz_check_json(const char *what, const char *p, size_t n);
/* Renders r->verrs (as a 422 would) and checks the result with fuzz_check_json. */
void	 fuzz_check_verrs(struct req *);

#endif
