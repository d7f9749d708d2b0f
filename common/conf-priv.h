/*
 * Internals of the configuration module, shared by conf.c, conf-value.c,
 * conf-dir.c and conf-ini.c only.
 */
#ifndef CONF_PRIV_H
#define CONF_PRIV_H

#include "conf.h"

/* ---------------------------------------------------------------- */
/*
 * conf-ini.c: the text layer.
 *
 * iniparser merges repeated sections and keys silently and gives no line
 * numbers, so every file is scanned here first, with the same rules
 * iniparser applies (comments, sections, quoting, inline comments, line
 * continuation, the 1022-character line limit).  The scan records every
 * key with its line; the values themselves come from iniparser whenever it
 * can load the file, and from the scan only when it cannot (syntax errors,
 * a byte order mark or an over-long line), so that all problems of a file
 * are still reported at once.
 */
#define CONF_INI_MAX_SIZE	(1024 * 1024)	/* larger files: refused */
#define CONF_INI_MAX_LINE	1022		/* iniparser's limit */

struct conf_ini_entry {
	char	*section;	/* lower case; "" before any section */
	char	*key;		/* lower case */
	char	*value;		/* as iniparser returns it */
	int	 line;
};

struct conf_ini_section {
	char	*name;		/* lower case */
	char	*raw;		/* as written, for messages */
	int	 line;
};

struct conf_ini {
	char			*file;		/* as given, for messages */
	size_t			 size;		/* bytes; 0: empty file */
	struct conf_ini_entry	*entries;
	unsigned int		 nentries;
	struct conf_ini_section	*sections;
	unsigned int		 nsections;
};

/*
 * Read and scan one file.  Problems of the text itself (unreadable, too
 * large, binary, BOM, long lines, syntax errors, duplicate keys, repeated
 * sections) go to problems; an empty file is not one (size tells).
 * Returns 0 when entries were read (maybe with problems), -1 when the
 * file could not be used at all.
 */
int	conf_ini_read(struct conf_ini *, const char *, struct conf_problems *);
void	conf_ini_clear(struct conf_ini *);
/* The line of the first entry of key in section, 0 if absent. */
int	conf_ini_line(const struct conf_ini *, const char *, const char *);

/* A printable, shortened copy of a user's value for a message. */
char	*conf_ini_quote(const char *);
/* Room for element n of an array grown by doubling (n counts up from 0). */
void	*conf_grow(void *, unsigned int, size_t);

/* ---------------------------------------------------------------- */
/* conf-value.c: values and keys. */

struct conf_val {
	char	*s;
	int	 i, j;
};

/* Parse v for k: NULL with *o filled, or a new "what is wrong" message. */
char	*conf_parse(const struct conf_key *, const char *, struct conf_val *);
/* Store a parsed value at index idx of the struct at base. */
void	 conf_store(const struct conf_key *, int, void *, struct conf_val *);
/* The table's defaults into a zeroed struct. */
void	 conf_defaults(const struct conf_key *, unsigned int, void *);
/*
 * The entry of key in a table and its index (0 for plain keys).  When an
 * indexed key has an index out of range, *badidx is set to its entry.
 */
const struct conf_key *conf_find_key(const struct conf_key *, unsigned int,
	    const char *, int *, const struct conf_key **);
/* Report an unknown key, with "did you mean" when one is close. */
void	 conf_unknown_key(struct conf_problems *, const char *, int,
	    const char *, int);

/* ---------------------------------------------------------------- */
/* conf.c: one file. */

/* One file of a directory being loaded, with its own problems. */
struct conf_file {
	char			*path;
	const char		*base;		/* file name in path */
	struct conf_ini		 ini;
	struct vm_conf		*vm;		/* kept even with problems */
	struct conf_problems	 problems;
};

struct vm_conf	*conf_vm_from_ini(struct conf_ini *, const char *,
		    struct conf_problems *);
void		 conf_agent_from_ini(struct conf_ini *, struct agent_conf *,
		    struct conf_problems *);
/* The name of key fmt ("disk%d" or plain) at idx into key; its line. */
int		 conf_vm_keyline(struct conf_ini *, const char *, int, char *,
		    size_t);
/* Move problems to the end of another list, in line order. */
void		 conf_problems_move_sorted(struct conf_problems *,
		    struct conf_problems *);

#endif
