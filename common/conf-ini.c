/*
 * The text layer of the configuration: scanning INI files with line
 * numbers (iniparser gives none), loading them with iniparser, and
 * editing one key in place (conf_ini_set) without losing the user's
 * comments and layout.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_INIPARSER_INIPARSER_H
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif

#include "compat.h"
#include "conf.h"
#include "conf-priv.h"
#include "util.h"
#include "xmalloc.h"

#define INI_MAX_ENTRIES		1000	/* a VM file has about 60 keys */
#define INI_MAX_SECTIONS	100	/* ... and one section */
#define INI_MAX_SYNTAX		20	/* syntax errors shown per file */
#define INI_QUOTE_MAX		60	/* bytes of a value shown in messages */

/* One syntax error, found by the scan or reported by iniparser. */
struct ini_error {
	int	 line;
	char	*text;
};

struct ini_scan {
	struct conf_ini		*ini;
	struct conf_problems	*problems;
	const char		*section;	/* current, lower case */
	int			 noload;	/* iniparser cannot load it */
	unsigned int		 nsections;	/* all, also beyond the cap */
	struct ini_error	*errs;		/* syntax errors of the scan */
	unsigned int		 nerrs;
	struct ini_error	*cberrs;	/* reported by iniparser */
	unsigned int		 ncberrs;
	unsigned int		 nmore;		/* more errors, not kept */
	unsigned int		 nentries;	/* all, also beyond the cap */
};

/* iniparser's error callback has no argument for us: one load at a time. */
static struct ini_scan	*ini_cb_scan;

static char *
ini_strip(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

static void
ini_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = tolower((unsigned char)*s);
}

char *
conf_ini_quote(const char *s)
{
	size_t	 len, i;
	char	*out;
	int	 cut = 0;

	if (s == NULL)
		return (xstrdup("(none)"));
	len = strlen(s);
	if (len > INI_QUOTE_MAX) {
		len = INI_QUOTE_MAX;
		/* Do not cut a UTF-8 sequence in half. */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		cut = 1;
	}
	out = xmalloc(len + 4);
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			out[i] = '?';
		else
			out[i] = s[i];
	}
	if (cut) {
		memcpy(out + len, "...", 3);
		len += 3;
	}
	out[len] = '\0';
	return (out);
}

void *
conf_grow(void *v, unsigned int n, size_t size)
{
	if (n == 0)
		return (xreallocarray(v, 16, size));
	if (n >= 16 && (n & (n - 1)) == 0)
		return (xreallocarray(v, (size_t)n * 2, size));
	return (v);
}

static void
ini_add_error(struct ini_error **errs, unsigned int *n, int line,
    const char *text)
{
	*errs = conf_grow(*errs, *n, sizeof **errs);
	(*errs)[*n].line = line;
	(*errs)[*n].text = xstrdup(text);
	(*n)++;
}

/* The value of "key = value" after the '=', as iniparser 4 reads it. */
static char *
ini_value(const char *p)
{
	const char	*e;
	char		*v, *s;

	while (isspace((unsigned char)*p))
		p++;
	if ((p[0] == '"' || p[0] == '\'') && p[1] != '\0' && p[1] != p[0]) {
		/* Quoted: up to the closing quote, spaces kept. */
		if ((e = strchr(p + 1, p[0])) == NULL)
			e = p + strlen(p);
		return (xstrndup(p + 1, e - (p + 1)));
	}
	if (*p == '\0' || *p == ';' || *p == '#')
		return (xstrdup(""));
	/* Unquoted: up to an inline comment, stripped. */
	v = xstrndup(p, strcspn(p, ";#"));
	s = ini_strip(v);
	if (strcmp(s, "\"\"") == 0 || strcmp(s, "''") == 0)
		*s = '\0';
	memmove(v, s, strlen(s) + 1);
	return (v);
}

static void
ini_add_section(struct ini_scan *s, char *raw, int line)
{
	struct conf_ini		*ini = s->ini;
	struct conf_ini_section	*sec;
	char			*name;
	unsigned int		 i;

	if (++s->nsections > INI_MAX_SECTIONS)
		return;		/* counted only: the file is refused */
	name = xstrdup(raw);
	ini_lower(name);
	for (i = 0; i < ini->nsections; i++) {
		if (strcmp(ini->sections[i].name, name) == 0) {
			conf_problem_add(s->problems, ini->file, line, NULL,
			    "[%s]: section repeated (first at line %d; each "
			    "section may appear once)", raw,
			    ini->sections[i].line);
			break;
		}
	}
	ini->sections = conf_grow(ini->sections, ini->nsections,
	    sizeof *ini->sections);
	sec = &ini->sections[ini->nsections++];
	sec->name = name;
	sec->raw = xstrdup(raw);
	sec->line = line;
	s->section = name;
}

static void
ini_add_entry(struct ini_scan *s, const char *key, char *value, int line)
{
	struct conf_ini		*ini = s->ini;
	struct conf_ini_entry	*e;

	if (++s->nentries > INI_MAX_ENTRIES) {
		free(value);
		return;		/* counted only: the file is refused */
	}
	ini->entries = conf_grow(ini->entries, ini->nentries,
	    sizeof *ini->entries);
	e = &ini->entries[ini->nentries++];
	e->section = xstrdup(s->section);
	e->key = xstrdup(key);
	ini_lower(e->key);
	e->value = value;
	e->line = line;
}

/* One logical line (continuations joined), classified as iniparser does. */
static void
ini_scan_line(struct ini_scan *s, char *buf, int line)
{
	char	*l, *eq, *end;
	size_t	 len;

	l = ini_strip(buf);
	len = strlen(l);
	if (len == 0 || l[0] == '#' || l[0] == ';')
		return;
	if (l[0] == '[' && l[len - 1] == ']') {
		l[strcspn(l, "]")] = '\0';
		l = ini_strip(l + 1);
		if (*l == '\0') {
			conf_problem_add(s->problems, s->ini->file, line, NULL,
			    "[]: section without a name");
			s->noload = 1;	/* iniparser would misplace keys */
			return;
		}
		ini_add_section(s, l, line);
		return;
	}
	if ((eq = strchr(l, '=')) != NULL && eq != l) {
		*eq = '\0';
		end = ini_strip(l);
		ini_add_entry(s, end, ini_value(eq + 1), line);
		return;
	}
	if (s->nerrs < INI_MAX_SYNTAX)
		ini_add_error(&s->errs, &s->nerrs, line, l);
	else
		s->nmore++;
}

/* Split the text into lines, join continuations, check line lengths. */
static void
ini_scan_text(struct ini_scan *s, const char *text, size_t len)
{
	const char	*p = text, *end = text + len, *nl;
	char		 joined[CONF_INI_MAX_LINE + 2];
	size_t		 n, have = 0;
	int		 line = 0, first = 0;

	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		n = nl - p;
		if (have + n > CONF_INI_MAX_LINE) {
			conf_problem_add(s->problems, s->ini->file, line, NULL,
			    "line is %zu characters long (iniparser reads at "
			    "most %d)", have + n, CONF_INI_MAX_LINE);
			s->noload = 1;
			have = 0;
			p = nl + 1;
			continue;
		}
		if (have == 0)
			first = line;
		memcpy(joined + have, p, n);
		have += n;
		joined[have] = '\0';
		p = nl + 1;
		/* A trailing backslash continues the line (iniparser). */
		while (have > 0 && isspace((unsigned char)joined[have - 1]))
			joined[--have] = '\0';
		if (have > 0 && joined[have - 1] == '\\' && p < end) {
			joined[--have] = '\0';
			continue;
		}
		ini_scan_line(s, joined, first);
		have = 0;
	}
}

static int
ini_error_cb(const char *fmt, ...)
{
	struct ini_scan	*s = ini_cb_scan;
	char		 msg[2048], *p, *t;
	va_list		 ap;
	int		 line = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s == NULL)
		return (0);
	/* "iniparser: syntax error in FILE (LINE):\n-> TEXT\n" */
	if ((p = strstr(msg, s->ini->file)) != NULL)
		sscanf(p + strlen(s->ini->file), " (%d)", &line);
	if ((t = strstr(msg, "\n-> ")) != NULL)
		t = ini_strip(t + 4);
	else {
		if (strncmp(msg, "iniparser: ", 11) == 0)
			memmove(msg, msg + 11, strlen(msg + 11) + 1);
		t = ini_strip(msg);
		line = -line;	/* not a syntax error: report as is */
	}
	if (s->ncberrs < INI_MAX_SYNTAX)
		ini_add_error(&s->cberrs, &s->ncberrs, line, t);
	else
		s->nmore++;
	return (0);
}

static void
ini_syntax_problem(struct ini_scan *s, int line, const char *text)
{
	char	*q;

	q = conf_ini_quote(text);
	conf_problem_add(s->problems, s->ini->file, line, NULL,
	    "syntax error: %s (lines are key = value, [section], # comment "
	    "or empty)", q);
	free(q);
}

/* Report the syntax errors of the scan and what only iniparser saw. */
static void
ini_report_errors(struct ini_scan *s)
{
	unsigned int	 i, j, shown = 0, more = s->nmore;
	int		 line;

	for (i = 0; i < s->nerrs; i++, shown++)
		ini_syntax_problem(s, s->errs[i].line, s->errs[i].text);
	for (i = 0; i < s->ncberrs; i++) {
		line = s->cberrs[i].line;
		for (j = 0; j < s->nerrs; j++) {
			if (s->errs[j].line == line)
				break;
		}
		if (j < s->nerrs)
			continue;
		if (line < 0) {
			conf_problem_add(s->problems, s->ini->file, -line,
			    NULL, "iniparser: %s", s->cberrs[i].text);
		} else if (shown++ < INI_MAX_SYNTAX)
			ini_syntax_problem(s, line, s->cberrs[i].text);
		else
			more++;
	}
	if (more > 0) {
		conf_problem_add(s->problems, s->ini->file, 0, NULL,
		    "%u more syntax errors not shown", more);
	}
}

/* Load with iniparser and take its values; capture what it reports. */
static void
ini_load(struct ini_scan *s)
{
	struct conf_ini		*ini = s->ini;
	struct conf_ini_entry	*e;
	dictionary		*d;
	const char		*v;
	char			*k;
	unsigned int		 i;

	ini_cb_scan = s;
	iniparser_set_error_callback(ini_error_cb);
	d = iniparser_load(ini->file);
	iniparser_set_error_callback(NULL);	/* back to the default */
	ini_cb_scan = NULL;
	if (d == NULL) {
		if (s->nerrs == 0 && s->ncberrs == 0 && s->nmore == 0) {
			conf_problem_add(s->problems, ini->file, 0, NULL,
			    "iniparser could not load the file");
		}
		return;
	}
	for (i = 0; i < ini->nentries; i++) {
		e = &ini->entries[i];
		if (*e->section == '\0')
			continue;	/* iniparser has no name for these */
		xasprintf(&k, "%s:%s", e->section, e->key);
		if ((v = iniparser_getstring(d, k, NULL)) != NULL) {
			free(e->value);
			e->value = xstrdup(v);
		}
		free(k);
	}
	iniparser_freedict(d);
}

static int
ini_entry_cmp(const void *a, const void *b)
{
	const struct conf_ini_entry	*x = *(struct conf_ini_entry *const *)a;
	const struct conf_ini_entry	*y = *(struct conf_ini_entry *const *)b;
	int				 r;

	if ((r = strcmp(x->section, y->section)) != 0)
		return (r);
	if ((r = strcmp(x->key, y->key)) != 0)
		return (r);
	return ((x->line > y->line) - (x->line < y->line));
}

static void
ini_check_duplicates(struct ini_scan *s)
{
	struct conf_ini		 *ini = s->ini;
	struct conf_ini_entry	**v, *first = NULL;
	unsigned int		  i;

	if (ini->nentries < 2)
		return;
	v = xreallocarray(NULL, ini->nentries, sizeof *v);
	for (i = 0; i < ini->nentries; i++)
		v[i] = &ini->entries[i];
	qsort(v, ini->nentries, sizeof *v, ini_entry_cmp);
	for (i = 0; i < ini->nentries; i++) {
		if (first != NULL &&
		    strcmp(first->section, v[i]->section) == 0 &&
		    strcmp(first->key, v[i]->key) == 0) {
			conf_problem_add(s->problems, ini->file, v[i]->line,
			    v[i]->key, "set again (first set at line %d; each "
			    "key may appear once)", first->line);
		} else
			first = v[i];
	}
	free(v);
}

static int
ini_read_text(struct conf_ini *ini, struct conf_problems *problems,
    char **textp, size_t *lenp)
{
	struct stat	 sb;
	const char	*nul, *p;
	char		*text;
	size_t		 len;
	int		 line;

	if (stat(ini->file, &sb) == -1) {
		conf_problem_add(problems, ini->file, 0, NULL,
		    "cannot read: %s", strerror(errno));
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		conf_problem_add(problems, ini->file, 0, NULL,
		    "not a regular file");
		return (-1);
	}
	if (sb.st_size > CONF_INI_MAX_SIZE) {
		conf_problem_add(problems, ini->file, 0, NULL,
		    "file is larger than 1 MiB, not loaded (a VM file is "
		    "a few hundred bytes)");
		return (-1);
	}
	if ((text = read_file(ini->file, CONF_INI_MAX_SIZE, &len)) == NULL) {
		if (errno == EFBIG)
			conf_problem_add(problems, ini->file, 0, NULL,
			    "file is larger than 1 MiB, not loaded (a VM "
			    "file is a few hundred bytes)");
		else
			conf_problem_add(problems, ini->file, 0, NULL,
			    "cannot read: %s", strerror(errno));
		return (-1);
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		line = 1;
		for (p = text; p < nul; p++)
			line += *p == '\n';
		conf_problem_add(problems, ini->file, line, NULL,
		    "file contains NUL bytes, not loaded (a binary file? "
		    "configuration files are text)");
		free(text);
		return (-1);
	}
	*textp = text;
	*lenp = len;
	return (0);
}

int
conf_ini_read(struct conf_ini *ini, const char *file,
    struct conf_problems *problems)
{
	struct conf_problems	 found;
	struct conf_problem	*p;
	struct ini_scan		 s;
	char			*text;
	size_t			 len, skip = 0;
	unsigned int		 i;
	int			 rv = 0;

	memset(ini, 0, sizeof *ini);
	ini->file = xstrdup(file);
	if (ini_read_text(ini, problems, &text, &len) == -1)
		return (-1);
	ini->size = len;

	/* Problems of the scan are kept back until the file is accepted. */
	TAILQ_INIT(&found);
	memset(&s, 0, sizeof s);
	s.ini = ini;
	s.problems = &found;
	s.section = "";
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		conf_problem_add(&found, file, 1, NULL,
		    "file starts with a UTF-8 byte order mark (save it "
		    "without BOM: iniparser cannot read the first line)");
		s.noload = 1;
		skip = 3;
	}
	ini_scan_text(&s, text + skip, len - skip);
	free(text);

	if (s.nentries > INI_MAX_ENTRIES || s.nsections > INI_MAX_SECTIONS) {
		conf_problems_clear(&found);
		conf_problem_add(problems, file, 0, NULL, "file has %u keys "
		    "and %u sections, not loaded (at most %d and %d)",
		    s.nentries, s.nsections, INI_MAX_ENTRIES,
		    INI_MAX_SECTIONS);
		rv = -1;
	} else {
		/* A badly broken file: iniparser would say the same. */
		if (!s.noload && s.nmore == 0)
			ini_load(&s);
		ini_report_errors(&s);
		ini_check_duplicates(&s);
	}
	while ((p = TAILQ_FIRST(&found)) != NULL) {
		TAILQ_REMOVE(&found, p, entry);
		TAILQ_INSERT_TAIL(problems, p, entry);
	}
	for (i = 0; i < s.nerrs; i++)
		free(s.errs[i].text);
	for (i = 0; i < s.ncberrs; i++)
		free(s.cberrs[i].text);
	free(s.errs);
	free(s.cberrs);
	return (rv);
}

void
conf_ini_clear(struct conf_ini *ini)
{
	unsigned int	i;

	for (i = 0; i < ini->nentries; i++) {
		free(ini->entries[i].section);
		free(ini->entries[i].key);
		free(ini->entries[i].value);
	}
	for (i = 0; i < ini->nsections; i++) {
		free(ini->sections[i].name);
		free(ini->sections[i].raw);
	}
	free(ini->entries);
	free(ini->sections);
	free(ini->file);
	memset(ini, 0, sizeof *ini);
}

int
conf_ini_line(const struct conf_ini *ini, const char *section,
    const char *key)
{
	unsigned int	i;

	for (i = 0; i < ini->nentries; i++) {
		if (strcmp(ini->entries[i].section, section) == 0 &&
		    strcmp(ini->entries[i].key, key) == 0)
			return (ini->entries[i].line);
	}
	return (0);
}

/* ------------------------------------------------------------------ */
/* conf_ini_set: edit one key of [VM] in place.                        */

struct ini_buf {
	char	*p;
	size_t	 len, size;
};

static void
ini_buf_add(struct ini_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->size);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
ini_buf_str(struct ini_buf *b, const char *s)
{
	ini_buf_add(b, s, strlen(s));
}

/* One physical line of the file being edited. */
struct ini_pline {
	const char	*text;		/* not NUL-terminated */
	size_t		 len;		/* without the line end */
	const char	*eol;		/* "\n", "\r\n" or "" */
	int		 group;		/* first line of its logical line */
};

static size_t
ini_span_space(const char *p, size_t len)
{
	size_t	i = 0;

	while (i < len && isspace((unsigned char)p[i]))
		i++;
	return (i);
}

/* Does the line (stripped) start with key followed by '=' ? */
static int
ini_line_is_key(const char *p, size_t len, const char *key)
{
	size_t	klen = strlen(key), i;

	if (len < klen || strncasecmp(p, key, klen) != 0)
		return (0);
	i = klen + ini_span_space(p + klen, len - klen);
	return (i < len && p[i] == '=');
}

static int
ini_key_ok(const char *key)
{
	const char	*p;

	if (*key == '\0' || strlen(key) > 64)
		return (0);
	for (p = key; *p != '\0'; p++) {
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '_')
			return (0);
	}
	return (1);
}

/* The value as it must be written so that iniparser reads it back. */
static char *
ini_format_value(const char *v, char **cause)
{
	size_t		 len = strlen(v);
	const char	*p;
	char		*out;
	int		 quote;

	if (len == 0) {
		xasprintf(cause, "empty value (remove the key instead)");
		return (NULL);
	}
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			xasprintf(cause, "value contains a control character");
			return (NULL);
		}
	}
	quote = strpbrk(v, ";#") != NULL || isspace((unsigned char)v[0]) ||
	    isspace((unsigned char)v[len - 1]) || v[0] == '"' ||
	    v[0] == '\'' || v[len - 1] == '\\';
	if (!quote)
		return (xstrdup(v));
	if (strchr(v, '"') == NULL)
		xasprintf(&out, "\"%s\"", v);
	else if (strchr(v, '\'') == NULL)
		xasprintf(&out, "'%s'", v);
	else {
		xasprintf(cause, "value needs quotes but contains both "
		    "quote characters");
		return (NULL);
	}
	return (out);
}

static struct ini_pline *
ini_split(const char *text, size_t len, unsigned int *np)
{
	struct ini_pline	*l = NULL;
	const char		*p = text, *end = text + len, *nl;
	unsigned int		 n = 0;
	int			 cont = 0;
	size_t			 t;

	while (p < end) {
		l = conf_grow(l, n, sizeof *l);
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		l[n].text = p;
		l[n].len = nl - p;
		l[n].eol = nl == end ? "" : "\n";
		if (l[n].len > 0 && p[l[n].len - 1] == '\r') {
			l[n].len--;
			l[n].eol = nl == end ? "\r" : "\r\n";
		}
		l[n].group = cont ? l[n - 1].group : (int)n;
		t = l[n].len;
		while (t > 0 && isspace((unsigned char)p[t - 1]))
			t--;
		cont = t > 0 && p[t - 1] == '\\';
		n++;
		p = nl == end ? end : nl + 1;
	}
	*np = n;
	return (l);
}

/* Where the parts of the [VM] section are. -1: none. */
struct ini_where {
	int	header;		/* first [VM] header */
	int	last;		/* last non-blank line of that section */
	int	commented;	/* first "# key = ..." in a [VM] section */
	int	nfound;
	int	found[16];	/* logical lines setting key in [VM] */
};

static void
ini_locate(struct ini_pline *l, unsigned int n, const char *key,
    struct ini_where *w)
{
	const char	*p, *q;
	size_t		 len, s;
	unsigned int	 i;
	int		 invm = 0, first = 0;

	w->header = w->last = w->commented = -1;
	w->nfound = 0;
	for (i = 0; i < n; i++) {
		if (l[i].group != (int)i)
			continue;	/* continuation */
		s = ini_span_space(l[i].text, l[i].len);
		p = l[i].text + s;
		len = l[i].len - s;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0)
			continue;
		if (p[0] == '[' && p[len - 1] == ']') {
			q = p + 1 + ini_span_space(p + 1, len - 1);
			s = strcspn(q, "]");
			while (s > 0 && isspace((unsigned char)q[s - 1]))
				s--;
			invm = s == 2 && strncasecmp(q, "vm", 2) == 0;
			first = invm && w->header == -1;
			if (first)
				w->header = w->last = i;
			continue;
		}
		if (first)
			w->last = i;
		if (!invm)
			continue;
		if (p[0] == '#' || p[0] == ';') {
			while (len > 0 && (p[0] == '#' || p[0] == ';'))
				p++, len--;
			s = ini_span_space(p, len);
			if (w->commented == -1 &&
			    ini_line_is_key(p + s, len - s, key))
				w->commented = i;
			continue;
		}
		if (ini_line_is_key(p, len, key) &&
		    w->nfound < (int)nitems(w->found))
			w->found[w->nfound++] = i;
	}
	/* The section's last line includes its continuations. */
	while (w->last != -1 && (unsigned int)w->last + 1 < n &&
	    l[w->last + 1].group == l[w->last].group)
		w->last++;
}

/* Rewrite line i (a "key = value" line) with a new value, keeping the rest. */
static void
ini_replace_value(struct ini_buf *b, const struct ini_pline *pl,
    const char *val)
{
	const char	*p = pl->text, *eq, *v, *tail, *end = p + pl->len;

	eq = memchr(p, '=', pl->len);
	v = eq + 1 + ini_span_space(eq + 1, end - (eq + 1));
	ini_buf_add(b, p, v - p);
	ini_buf_str(b, val);
	/* Keep an inline comment after the old value. */
	if (v < end && (*v == '"' || *v == '\'') &&
	    (tail = memchr(v + 1, *v, end - (v + 1))) != NULL)
		tail++;
	else {
		for (tail = v; tail < end && *tail != '#' && *tail != ';';)
			tail++;
		if (tail < end) {
			while (tail > v && isspace((unsigned char)tail[-1]))
				tail--;
		}
	}
	ini_buf_add(b, tail, end - tail);
	ini_buf_str(b, pl->eol);
}

static char *
ini_edit(struct ini_pline *l, unsigned int n, const char *key,
    const char *val, const struct ini_where *w, size_t *lenp)
{
	struct ini_buf	 b = { NULL, 0, 0 };
	const char	*eol = n > 0 && *l[0].eol != '\0' ? l[0].eol : "\n";
	unsigned int	 i;
	int		 j, skip, indent;

	for (i = 0; i < n; i++) {
		skip = 0;
		for (j = 0; j < w->nfound; j++) {
			if (l[i].group != w->found[j])
				continue;
			if (val != NULL && j == 0 && l[i].group == (int)i)
				ini_replace_value(&b, &l[i], val);
			else if (val == NULL && l[i].group == (int)i) {
				/* Removing: comment it out, layout stays. */
				indent = ini_span_space(l[i].text, l[i].len);
				ini_buf_add(&b, l[i].text, indent);
				ini_buf_str(&b, "# ");
				ini_buf_add(&b, l[i].text + indent,
				    l[i].len - indent);
				ini_buf_str(&b, l[i].eol);
			} else if (val == NULL)
				break;	/* continuation stays as it was */
			skip = 1;
		}
		if (!skip && val != NULL && w->nfound == 0 &&
		    w->commented != -1 && l[i].group == w->commented) {
			if (l[i].group == (int)i) {
				indent = ini_span_space(l[i].text, l[i].len);
				ini_buf_add(&b, l[i].text, indent);
				ini_buf_str(&b, key);
				ini_buf_str(&b, " = ");
				ini_buf_str(&b, val);
				ini_buf_str(&b, l[i].eol);
			}
			skip = 1;
		}
		if (!skip) {
			ini_buf_add(&b, l[i].text, l[i].len);
			ini_buf_str(&b, l[i].eol);
		}
		if (val != NULL && w->nfound == 0 && w->commented == -1 &&
		    (int)i == w->last) {
			if (*l[i].eol == '\0')
				ini_buf_str(&b, eol);
			ini_buf_str(&b, key);
			ini_buf_str(&b, " = ");
			ini_buf_str(&b, val);
			ini_buf_str(&b, eol);
		}
	}
	*lenp = b.len;
	if (b.p == NULL)
		b.p = xstrdup("");
	return (b.p);
}

int
conf_ini_set(const char *path, const char *key, const char *value,
    char **cause)
{
	char			 real[PATH_MAX], *text, *val = NULL, *out;
	struct ini_pline	*l;
	struct ini_where	 w;
	unsigned int		 n;
	size_t			 len, outlen;
	int			 rv = -1;

	if (!ini_key_ok(key)) {
		xasprintf(cause, "%s: invalid key name", key);
		return (-1);
	}
	if (value != NULL) {
		if ((val = ini_format_value(value, cause)) == NULL)
			return (-1);
		if (strlen(key) + 3 + strlen(val) > CONF_INI_MAX_LINE) {
			xasprintf(cause, "%s: value too long (a line holds at "
			    "most %d characters)", key, CONF_INI_MAX_LINE);
			free(val);
			return (-1);
		}
	}
	if (realpath(path, real) == NULL ||
	    (text = read_file(real, CONF_INI_MAX_SIZE, &len)) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		free(val);
		return (-1);
	}
	if (memchr(text, '\0', len) != NULL) {
		xasprintf(cause, "%s: file contains NUL bytes", path);
		goto out;
	}
	l = ini_split(text, len, &n);
	ini_locate(l, n, key, &w);
	if (w.header == -1) {
		xasprintf(cause, "%s: no [VM] section", path);
		free(l);
		goto out;
	}
	if (value == NULL && w.nfound == 0) {
		free(l);
		rv = 0;		/* nothing to remove */
		goto out;
	}
	out = ini_edit(l, n, key, val, &w, &outlen);
	free(l);
	if (write_file_atomic(real, out, outlen, 0644) == -1)
		xasprintf(cause, "%s: %s", path, strerror(errno));
	else
		rv = 0;
	free(out);
out:
	free(text);
	free(val);
	return (rv);
}
