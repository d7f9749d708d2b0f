/*
 * Values and keys of the configuration: parsing and checking one value
 * against its conf_key, storing it, defaults, key lookup (with indexed
 * keys such as disk1) and "did you mean" suggestions for unknown keys.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "conf.h"
#include "conf-priv.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* Suffixes people write after numbers, per unit, for a kind hint. */
static const struct {
	const char	*unit, *suffix;
	long long	 mul, div;
} conf_suffixes[] = {
	{ "MiB", "k", 1, 1024 }, { "MiB", "kb", 1, 1024 },
	{ "MiB", "kib", 1, 1024 }, { "MiB", "m", 1, 1 },
	{ "MiB", "mb", 1, 1 }, { "MiB", "mib", 1, 1 },
	{ "MiB", "g", 1024, 1 }, { "MiB", "gb", 1024, 1 },
	{ "MiB", "gib", 1024, 1 }, { "MiB", "t", 1048576, 1 },
	{ "MiB", "tb", 1048576, 1 }, { "MiB", "tib", 1048576, 1 },
	{ "KiB", "k", 1, 1 }, { "KiB", "kb", 1, 1 }, { "KiB", "kib", 1, 1 },
	{ "KiB", "m", 1024, 1 }, { "KiB", "mb", 1024, 1 },
	{ "KiB", "mib", 1024, 1 }, { "KiB", "g", 1048576, 1 },
	{ "KiB", "gb", 1048576, 1 }, { "KiB", "gib", 1048576, 1 },
	{ "seconds", "s", 1, 1 }, { "seconds", "sec", 1, 1 },
	{ "seconds", "m", 60, 1 }, { "seconds", "min", 60, 1 },
	{ "seconds", "h", 3600, 1 },
	{ "bytes", "k", 1024, 1 }, { "bytes", "kb", 1024, 1 },
	{ "bytes", "b", 1, 1 },
};

/* ------------------------------------------------------------------ */
/* Names and values.                                                   */

const char *
vm_name_check(const char *name)
{
	const char	*p;

	if (name == NULL || *name == '\0')
		return ("is empty");
	if (strlen(name) > VM_NAME_MAX)
		return ("is longer than 31 characters");
	if (!isascii((unsigned char)*name) || !isalnum((unsigned char)*name))
		return ("must start with a letter or digit");
	for (p = name; *p != '\0'; p++) {
		if (!isascii((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) && *p != '_' && *p != '-'))
			return ("may contain only letters, digits, _ and -");
	}
	return (NULL);
}

/* "a|b|c" as "a, b or c" (new string). */
static char *
conf_choices(const char *range)
{
	const char	*p, *bar;
	char		*s;
	size_t		 len = strlen(range) * 2 + 1;

	s = xcalloc(1, len);
	for (p = range; (bar = strchr(p, '|')) != NULL; p = bar + 1) {
		if (*s != '\0')
			strlcat(s, ", ", len);
		strncat(s, p, bar - p);
	}
	if (*s != '\0')
		strlcat(s, " or ", len);
	strlcat(s, p, len);
	return (s);
}

/* Is v one of the '|' separated choices? */
static int
conf_in_choices(const char *range, const char *v)
{
	const char	*p;
	size_t		 len, vlen = strlen(v);

	for (p = range; *p != '\0'; p += len + (p[len] == '|')) {
		len = strcspn(p, "|");
		if (len == vlen && strncmp(p, v, len) == 0)
			return (1);
	}
	return (0);
}

/* What a key allows, for the parenthesis of a message (new string). */
static char *
conf_allowed(const struct conf_key *k)
{
	char	*s, *t;
	int	 w0, h0, w1, h1;

	switch (k->type) {
	case CONF_STRING:
		if (k->max > 0) {
			xasprintf(&s, "%lld..%lld characters%s%s", k->min,
			    k->max, k->range != NULL ? "; " : "",
			    k->range != NULL ? k->range : "");
		} else
			s = xstrdup("text");
		return (s);
	case CONF_PATH:
		return (xstrdup("a path starting with /, without commas"));
	case CONF_INT:
		if (k->range != NULL) {
			s = conf_choices(k->range);
			xasprintf(&t, "%s%s%s", s, k->unit != NULL ? " " : "",
			    k->unit != NULL ? k->unit : "");
			free(s);
			return (t);
		}
		xasprintf(&s, "%lld..%lld%s%s", k->min, k->max,
		    k->unit != NULL ? " " : "", k->unit != NULL ? k->unit : "");
		return (s);
	case CONF_BOOL:
		return (xstrdup("yes/no, true/false, on/off or 1/0"));
	case CONF_MAC:
		return (xstrdup("six hex pairs like 02:00:00:00:02:01, "
		    "unicast"));
	case CONF_IFNAME:
		return (xstrdup("1-15 of A-Z a-z 0-9 _ . -"));
	case CONF_ENUM:
		return (conf_choices(k->range));
	case CONF_PORTRANGE:
		return (xstrdup("LOW-HIGH within 1024..65535, e.g. "
		    "5900-5999"));
	case CONF_PATHLIST:
		return (xstrdup("absolute directories separated by :"));
	case CONF_RESOLUTION:
		if (sscanf(k->range, "%dx%d-%dx%d", &w0, &h0, &w1, &h1) != 4)
			fatalx("conf: bad resolution range for %s", k->name);
		xasprintf(&s, "WIDTHxHEIGHT from %dx%d to %dx%d", w0, h0,
		    w1, h1);
		return (s);
	case CONF_ADDR:
		return (xstrdup("a numeric IPv4 or IPv6 address such as "
		    "127.0.0.1 or ::1"));
	case CONF_VMNAME:
		return (xstrdup("1-31 of A-Z a-z 0-9 _ -, starting with a "
		    "letter or digit"));
	case CONF_FILENAME:
		return (xstrdup("a file name without /"));
	case CONF_GROUP:
		return (xstrdup("a group name: 1-32 of A-Z a-z 0-9 _ . -, "
		    "not starting with -"));
	}
	return (xstrdup("?"));
}

/* "VALUE what (allowed)" as a new string; the value hidden if secret. */
static char *
conf_bad(const struct conf_key *k, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *
conf_bad(const struct conf_key *k, const char *v, const char *fmt, ...)
{
	va_list	 ap;
	char	*what, *allowed, *q, *s;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	allowed = conf_allowed(k);
	q = (k->flags & CONF_F_SECRET) ? xstrdup("the value") :
	    conf_ini_quote(v);
	xasprintf(&s, "%s %s (%s)", q, what, allowed);
	free(q);
	free(allowed);
	free(what);
	return (s);
}

static int
conf_parse_ll(const char *v, long long *n)
{
	const char	*p = v;
	char		*end;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return (-1);
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return (-1);
	}
	errno = 0;
	*n = strtoll(v, &end, 10);
	if (errno == ERANGE)
		return (1);
	return (0);
}

/* "512M" for a MiB key: say how to write it. */
static char *
conf_int_hint(const struct conf_key *k, const char *v)
{
	const char	*p;
	char		*s, *q, suf[8];
	long long	 n;
	size_t		 i, len;

	if (k->unit == NULL)
		return (NULL);
	for (p = v; isdigit((unsigned char)*p); p++)
		;
	len = strlen(p);
	if (p == v || len == 0 || len >= sizeof suf)
		return (NULL);
	for (i = 0; i <= len; i++)
		suf[i] = tolower((unsigned char)p[i]);
	for (i = 0; i < len; i++) {
		if (!isalpha((unsigned char)suf[i]))
			return (NULL);
	}
	n = strtoll(v, NULL, 10);
	for (i = 0; i < nitems(conf_suffixes); i++) {
		if (strcmp(conf_suffixes[i].unit, k->unit) != 0 ||
		    strcmp(conf_suffixes[i].suffix, suf) != 0)
			continue;
		if (n > 1000000000 || n * conf_suffixes[i].mul %
		    conf_suffixes[i].div != 0)
			break;
		return (conf_bad(k, v, "is not an integer: the unit is %s, "
		    "write %lld", k->unit,
		    n * conf_suffixes[i].mul / conf_suffixes[i].div));
	}
	q = conf_ini_quote(v);
	xasprintf(&s, "%s is not an integer (a whole number of %s, "
	    "%lld..%lld)", q, k->unit, k->min, k->max);
	free(q);
	return (s);
}

static char *
conf_parse_int(const struct conf_key *k, const char *v, struct conf_val *o)
{
	long long	 n;
	char		*hint;
	int		 r;

	if ((r = conf_parse_ll(v, &n)) == -1) {
		if ((hint = conf_int_hint(k, v)) != NULL)
			return (hint);
		return (conf_bad(k, v, "is not an integer"));
	}
	if (r == 1 || n < k->min || n > k->max)
		return (conf_bad(k, v, "is out of range"));
	/* A list of allowed numbers: "512|4096". */
	if (k->range != NULL && !conf_in_choices(k->range, v))
		return (conf_bad(k, v, "is not allowed"));
	o->i = (int)n;
	return (NULL);
}

static char *
conf_parse_bool(const struct conf_key *k, const char *v, struct conf_val *o)
{
	static const char	*yes[] = { "y", "yes", "true", "on", "1" };
	static const char	*no[] = { "n", "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			o->i = 1;
			return (NULL);
		}
		if (strcasecmp(v, no[i]) == 0) {
			o->i = 0;
			return (NULL);
		}
	}
	return (conf_bad(k, v, "is not a boolean"));
}

static char *
conf_parse_mac(const struct conf_key *k, const char *v)
{
	unsigned int	 i, oct[6];
	int		 zero = 1;

	if (strlen(v) != 17)
		return (conf_bad(k, v, "is not a MAC address"));
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)v[i * 3]) ||
		    !isxdigit((unsigned char)v[i * 3 + 1]) ||
		    (i < 5 && v[i * 3 + 2] != ':'))
			return (conf_bad(k, v, "is not a MAC address"));
		sscanf(v + i * 3, "%2x", &oct[i]);
		if (oct[i] != 0)
			zero = 0;
	}
	if (oct[0] & 1)
		return (conf_bad(k, v, "is a multicast address: the first "
		    "octet must be even"));
	if (zero)
		return (conf_bad(k, v, "is not a usable address"));
	return (NULL);
}

static int
conf_chars_ok(const char *v, const char *extra, size_t max)
{
	const char	*p;

	if (strlen(v) > max)
		return (0);
	for (p = v; *p != '\0'; p++) {
		if (!isascii((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) && strchr(extra, *p) == NULL))
			return (0);
	}
	return (1);
}

static char *
conf_parse_path(const struct conf_key *k, const char *v)
{
	if (*v != '/')
		return (conf_bad(k, v, "is not an absolute path"));
	if (strchr(v, ',') != NULL)
		return (conf_bad(k, v, "contains a comma, which bhyve and "
		    "QEMU options cannot hold"));
	return (NULL);
}

static char *
conf_parse_pathlist(const struct conf_key *k, const char *v)
{
	const char	*p, *e;
	char		*d, *q, *s;

	for (p = v; *p != '\0'; p = *e == ':' ? e + 1 : e) {
		e = p + strcspn(p, ":");
		if (*p != '/') {
			d = xstrndup(p, e - p);
			q = conf_ini_quote(d);
			if (*d == '\0')
				s = conf_bad(k, v, "has an empty element");
			else
				s = conf_bad(k, v, "has %s, which is not an "
				    "absolute directory", q);
			free(q);
			free(d);
			return (s);
		}
		if (*e == ':' && e[1] == '\0')
			return (conf_bad(k, v, "ends with :"));
	}
	return (NULL);
}

static char *
conf_parse_portrange(const struct conf_key *k, const char *v,
    struct conf_val *o)
{
	long long	 lo, hi;
	char		*a, *dash;
	int		 r1, r2;

	a = xstrdup(v);
	if ((dash = strchr(a, '-')) == NULL || dash == a) {
		free(a);
		return (conf_bad(k, v, "is not a port range"));
	}
	*dash = '\0';
	r1 = conf_parse_ll(a, &lo);
	r2 = conf_parse_ll(dash + 1, &hi);
	free(a);
	if (r1 == -1 || r2 == -1)
		return (conf_bad(k, v, "is not a port range"));
	if (r1 == 1 || r2 == 1 || lo < 1024 || hi > 65535)
		return (conf_bad(k, v, "is out of range"));
	if (lo > hi)
		return (conf_bad(k, v, "starts above its end"));
	o->i = (int)lo;
	o->j = (int)hi;
	return (NULL);
}

static char *
conf_parse_resolution(const struct conf_key *k, const char *v,
    struct conf_val *o)
{
	long long	 w, h;
	char		*a, *x;
	int		 w0, h0, w1, h1, r1, r2;

	if (sscanf(k->range, "%dx%d-%dx%d", &w0, &h0, &w1, &h1) != 4)
		fatalx("conf: bad resolution range for %s", k->name);
	a = xstrdup(v);
	if ((x = strchr(a, 'x')) == NULL && (x = strchr(a, 'X')) == NULL) {
		free(a);
		return (conf_bad(k, v, "is not WIDTHxHEIGHT"));
	}
	*x = '\0';
	r1 = conf_parse_ll(a, &w);
	r2 = conf_parse_ll(x + 1, &h);
	free(a);
	if (r1 == -1 || r2 == -1)
		return (conf_bad(k, v, "is not WIDTHxHEIGHT"));
	if (r1 == 1 || r2 == 1 || w < w0 || w > w1 || h < h0 || h > h1)
		return (conf_bad(k, v, "is out of range"));
	o->i = (int)w;
	o->j = (int)h;
	return (NULL);
}

/* Parse v for k: NULL and *o filled, or a new message. */
char *
conf_parse(const struct conf_key *k, const char *v, struct conf_val *o)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*why;
	char		*s, *t;
	size_t		 len;

	memset(o, 0, sizeof *o);
	if (*v == '\0') {
		s = conf_allowed(k);
		xasprintf(&t, "empty value (%s; %s)", s,
		    (k->flags & CONF_F_REQUIRED) ? "required" :
		    "to leave it unset, remove the line");
		free(s);
		return (t);
	}
	switch (k->type) {
	case CONF_INT:
		return (conf_parse_int(k, v, o));
	case CONF_BOOL:
		return (conf_parse_bool(k, v, o));
	case CONF_PORTRANGE:
		return (conf_parse_portrange(k, v, o));
	case CONF_RESOLUTION:
		return (conf_parse_resolution(k, v, o));
	case CONF_STRING:
		len = strlen(v);
		if (k->max > 0 && (len < (size_t)k->min ||
		    len > (size_t)k->max))
			return (conf_bad(k, v, "is %zu characters long", len));
		break;
	case CONF_PATH:
		if ((s = conf_parse_path(k, v)) != NULL)
			return (s);
		break;
	case CONF_PATHLIST:
		if ((s = conf_parse_pathlist(k, v)) != NULL)
			return (s);
		break;
	case CONF_MAC:
		if ((s = conf_parse_mac(k, v)) != NULL)
			return (s);
		break;
	case CONF_IFNAME:
		if (!conf_chars_ok(v, "_.-", 15))
			return (conf_bad(k, v, "is not an interface name"));
		break;
	case CONF_ENUM:
		if (!conf_in_choices(k->range, v))
			return (conf_bad(k, v, "is not allowed"));
		break;
	case CONF_ADDR:
		if (inet_pton(AF_INET, v, &a4) != 1 &&
		    inet_pton(AF_INET6, v, &a6) != 1)
			return (conf_bad(k, v, "is not a numeric IP address"));
		break;
	case CONF_VMNAME:
		if ((why = vm_name_check(v)) != NULL)
			return (conf_bad(k, v, "%s", why));
		break;
	case CONF_FILENAME:
		if (strchr(v, '/') != NULL || strcmp(v, ".") == 0 ||
		    strcmp(v, "..") == 0)
			return (conf_bad(k, v, "is not a plain file name"));
		break;
	case CONF_GROUP:
		if (*v == '-' || !conf_chars_ok(v, "_.-", 32))
			return (conf_bad(k, v, "is not a group name"));
		break;
	}
	o->s = xstrdup(v);
	return (NULL);
}

/* Store a parsed value into the struct at base, index idx. */
void
conf_store(const struct conf_key *k, int idx, void *base, struct conf_val *o)
{
	char	*p = (char *)base + k->off + (size_t)idx * k->stride;
	char	**sp;

	switch (k->type) {
	case CONF_INT:
	case CONF_BOOL:
		*(int *)p = o->i;
		break;
	case CONF_PORTRANGE:
	case CONF_RESOLUTION:
		*(int *)p = o->i;
		*(int *)((char *)base + k->off2) = o->j;
		break;
	default:
		sp = (char **)p;
		free(*sp);
		*sp = o->s;
		o->s = NULL;
		break;
	}
}

/* Apply the table's defaults to a zeroed struct. */
void
conf_defaults(const struct conf_key *keys, unsigned int nkeys, void *base)
{
	const struct conf_key	*k;
	struct conf_val		 v;
	unsigned int		 i;
	char			*why;

	for (i = 0; i < nkeys; i++) {
		k = &keys[i];
		if (k->flags & CONF_F_INDEXED)
			continue;
		if (k->def == NULL) {
			if (k->type == CONF_INT)
				*(int *)((char *)base + k->off) = -1;
			continue;
		}
		if ((why = conf_parse(k, k->def, &v)) != NULL)
			fatalx("conf: default of %s: %s", k->name, why);
		conf_store(k, 0, base, &v);
	}
}

/* ------------------------------------------------------------------ */
/* Keys: lookup and suggestions.                                       */

/* Find key in a table: its entry and index (0 for plain keys). */
const struct conf_key *
conf_find_key(const struct conf_key *keys, unsigned int nkeys,
    const char *key, int *idx, const struct conf_key **badidx)
{
	const struct conf_key	*k;
	const char		*pct, *p;
	size_t			 pre, suf, len = strlen(key);
	unsigned int		 i;
	long			 n;

	*idx = 0;
	if (badidx != NULL)
		*badidx = NULL;
	for (i = 0; i < nkeys; i++) {
		k = &keys[i];
		if (!(k->flags & CONF_F_INDEXED)) {
			if (strcmp(k->name, key) == 0)
				return (k);
			continue;
		}
		pct = strstr(k->name, "%d");
		pre = pct - k->name;
		suf = strlen(pct + 2);
		if (len <= pre + suf || strncmp(key, k->name, pre) != 0 ||
		    strcmp(key + len - suf, pct + 2) != 0)
			continue;
		for (p = key + pre; p < key + len - suf; p++) {
			if (!isdigit((unsigned char)*p))
				break;
		}
		if (p != key + len - suf)
			continue;
		n = strtol(key + pre, NULL, 10);
		if (key[pre] == '0' || n < 1 || n > k->nindex || len - suf -
		    pre > 2) {
			if (badidx != NULL)
				*badidx = k;
			continue;
		}
		*idx = (int)n;
		return (k);
	}
	return (NULL);
}

/* A plain key of the VM file, NULL when there is none. */
const struct conf_key *
conf_vm_key(const char *key)
{
	const struct conf_key	*k;
	int			 idx;

	k = conf_find_key(conf_vm_keys, conf_vm_nkeys, key, &idx, NULL);
	if (k == NULL || (k->flags & CONF_F_INDEXED))
		return (NULL);
	return (k);
}

char *
conf_key_allowed(const struct conf_key *k)
{
	return (conf_allowed(k));
}

/* One value on its own: NULL when valid, else what is wrong. */
char *
conf_key_check(const struct conf_key *k, const char *v)
{
	struct conf_val	 o;
	char		*why, *allowed;

	if (*v == '\0') {	/* not conf_parse's words about INI lines */
		allowed = conf_allowed(k);
		xasprintf(&why, "empty value (%s)", allowed);
		free(allowed);
		return (why);
	}
	if ((why = conf_parse(k, v, &o)) != NULL)
		return (why);
	free(o.s);
	return (NULL);
}

/* The closest key name to a typo, in buf; 0 if none is close. */
static int
conf_suggest(const struct conf_key *keys, unsigned int nkeys,
    const char *key, char *buf, size_t size)
{
	char		 name[64];
	const char	*pct;
	unsigned int	 i;
	int		 j, d, best = 99, len = strlen(key), limit;

	limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	for (i = 0; i < nkeys; i++) {
		for (j = 1; j <= ((keys[i].flags & CONF_F_INDEXED) ?
		    keys[i].nindex : 1); j++) {
			if ((pct = strstr(keys[i].name, "%d")) != NULL)
				snprintf(name, sizeof name, "%.*s%d%s",
				    (int)(pct - keys[i].name), keys[i].name, j,
				    pct + 2);
			else
				strlcpy(name, keys[i].name, sizeof name);
			d = str_distance(key, name);
			/* "memory" for memory_mb, "vnc_wait" ... */
			if (d > limit && len >= 4 &&
			    strncmp(name, key, len) == 0)
				d = limit;
			if (d <= limit && d < best) {
				best = d;
				strlcpy(buf, name, size);
			}
		}
	}
	return (best <= limit);
}

/* The plain key at the same place as index 0 of an indexed key. */
static const char *
conf_index0(const struct conf_key *keys, unsigned int nkeys,
    const struct conf_key *ik)
{
	unsigned int	i;

	for (i = 0; i < nkeys; i++) {
		if (!(keys[i].flags & CONF_F_INDEXED) &&
		    keys[i].off == ik->off)
			return (keys[i].name);
	}
	return ("?");
}

void
conf_unknown_key(struct conf_problems *ps, const char *file, int line,
    const char *key, int vmfile)
{
	const struct conf_key	*keys, *other, *bad;
	unsigned int		 nkeys, nother;
	const char		*pct;
	char			 sug[64], *q;
	int			 idx;

	keys = vmfile ? conf_vm_keys : conf_agent_keys;
	nkeys = vmfile ? conf_vm_nkeys : conf_agent_nkeys;
	other = vmfile ? conf_agent_keys : conf_vm_keys;
	nother = vmfile ? conf_agent_nkeys : conf_vm_nkeys;
	q = conf_ini_quote(key);
	if (conf_find_key(keys, nkeys, key, &idx, &bad) == NULL &&
	    bad != NULL) {
		pct = strstr(bad->name, "%d");
		conf_problem_add(ps, file, line, q, "unknown key (%.*s1%s .. "
		    "%.*s%d%s; number 0 is %s)", (int)(pct - bad->name),
		    bad->name, pct + 2, (int)(pct - bad->name), bad->name,
		    bad->nindex, pct + 2, conf_index0(keys, nkeys, bad));
	} else if (conf_find_key(other, nother, key, &idx, NULL) != NULL) {
		conf_problem_add(ps, file, line, q, "%s", vmfile ?
		    "belongs in anlasser.conf, section [agent], not in a VM "
		    "file" : "belongs in a VM file, not in anlasser.conf");
	} else if (conf_suggest(keys, nkeys, key, sug, sizeof sug))
		conf_problem_add(ps, file, line, q,
		    "unknown key (did you mean %s?)", sug);
	else
		conf_problem_add(ps, file, line, q, "unknown key (see "
		    "anlasser.ini(5) for the keys of %s)", vmfile ?
		    "a VM file" : "anlasser.conf");
	free(q);
}
